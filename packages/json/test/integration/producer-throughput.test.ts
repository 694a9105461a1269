import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { IdempotentProducer, JsonStream } from "../../src/index"
import { FAST_RETRY, expectExactSequence, indexesOf, waitFor, type Numbered } from "./support"

const ref = useReferenceServer()

const COUNT = 100_000

const SETUPS = [
  { name: "default batching", options: {}, expectBackpressure: false },
  {
    // Small batches and a buffer smaller than the ~12 KB each run of 1 000
    // appends between two waits adds (nothing is acknowledged during a
    // synchronous run): hundreds of requests, and the wait really holds the
    // writer back every time, however fast the server answers.
    name: "8 KiB batches and an 8 KiB buffer",
    options: { maxBatchBytes: 8 * 1024, maxBufferedBytes: 8 * 1024 },
    expectBackpressure: true,
  },
] as const

describe("one IdempotentProducer writing 100 000 messages", () => {
  it.each(SETUPS)(
    "with $name stores each exactly once and in order, for a catch-up read and a live SSE reader tailing the writes",
    async ({ options, expectBackpressure }) => {
      const stream = await JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })

      // The SSE reader starts on the empty stream and is caught up before
      // the first write, so everything it gets arrives live.
      const tail = new JsonStream<Numbered>({ url: stream.url, retry: FAST_RETRY }).read({ live: "sse" })
      const tailed: Numbered[] = []
      let tailBatches = 0
      const tailing = (async () => {
        for await (const batch of tail) {
          tailBatches++
          for (const item of batch.items) tailed.push(item)
          if (tailed.length >= COUNT) break
        }
      })()
      // Caught up by a plain catch-up GET, then live by SSE.
      await waitFor(() => tail.upToDate && tail.liveTransport === "sse", "the SSE reader to catch up and go live")
      expect(tailed).toEqual([])

      const producer = new IdempotentProducer(stream, "bulk-writer", { ...options, retry: FAST_RETRY })
      const acks: Array<Promise<unknown>> = []
      let heldBack = 0
      for (let i = 0; i < COUNT; i++) {
        const ack = producer.append({ i })
        if (i % 10_000 === 9_999) acks.push(ack)
        if (i % 1000 === 999) {
          const limit = "maxBufferedBytes" in options ? options.maxBufferedBytes : Infinity
          if (producer.bufferedBytes >= limit) heldBack++
          await producer.waitForCapacity()
        }
      }
      await producer.flush()
      expect(producer.error).toBeUndefined()
      expect(producer.bufferedBytes).toBe(0)
      if (expectBackpressure) expect(heldBack).toBeGreaterThan(0)
      // A sample of the fire-and-forget promises: acknowledged, not duplicates.
      for (const result of await Promise.all(acks)) {
        expect(result).toMatchObject({ duplicate: false, offset: expect.any(String) })
      }

      await tailing
      expectExactSequence(indexesOf(tailed), COUNT, "live SSE reader")
      // It was a live tail: the data came in many SSE batches, not one.
      expect(tailBatches).toBeGreaterThan(2)

      const caughtUp = await stream.read().json()
      expectExactSequence(indexesOf(caughtUp), COUNT, "catch-up json()")
    },
    120_000
  )
})

describe("a writer appending in a tight loop", () => {
  it("that awaits waitForCapacity() has its first batches acknowledged while it is still appending, not only at flush()", async () => {
    const stream = await JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })
    // Small batches: a backlog of sealed batches forms behind the in-flight window at once.
    const producer = new IdempotentProducer(stream, "tight-loop", { maxBatchBytes: 1024, retry: FAST_RETRY })
    let firstStored = false
    void producer.append({ i: 0 }).then(() => {
      firstStored = true
    })
    // Nothing in this loop waits for I/O but waitForCapacity(): if it resolved
    // in a microtask, no answer could be read before flush().
    let i = 1
    while (!firstStored) {
      expect(i, "appends before the first batch was acknowledged").toBeLessThan(100_000)
      producer.append({ i: i++ })
      if (i % 100 === 0) await producer.waitForCapacity()
    }
    await producer.flush()
    expectExactSequence(indexesOf(await stream.read().json()), i, "catch-up json()")
  })
})
