import { startFaultProxy, type FaultKind } from "@durable-client/testing"
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { IdempotentProducer, JsonStream, type DurableStreamError } from "../../src/index"
import {
  FAST_RETRY,
  delay,
  expectExactSequence,
  expectStreamError,
  indexesOf,
  jsonHandle,
  viaProxy,
  waitFor,
  withCrashWatch,
  type Numbered,
} from "./support"

const ref = useReferenceServer()

const NO_RETRIES = { maxRetries: 0 }
const BEFORE = 100
const AFTER = 200

/** Appends 0..BEFORE-1 and flushes, then `arm()`s a fault and appends BEFORE..BEFORE+AFTER-1. */
async function writeAcrossFault(
  producer: IdempotentProducer<Numbered>,
  arm: () => void
): Promise<{ acked: Set<number>; rejected: Map<number, DurableStreamError>; flushError: DurableStreamError }> {
  const acked = new Set<number>()
  const rejected = new Map<number, DurableStreamError>()
  const track = (i: number): Promise<void> =>
    producer.append({ i }).then(
      () => void acked.add(i),
      (error: DurableStreamError) => void rejected.set(i, error)
    )
  const first: Array<Promise<void>> = []
  for (let i = 0; i < BEFORE; i++) first.push(track(i))
  await producer.flush()
  await Promise.all(first)
  expect(acked.size).toBe(BEFORE)

  arm()
  const second: Array<Promise<void>> = []
  for (let i = BEFORE; i < BEFORE + AFTER; i++) second.push(track(i))
  let flushError: DurableStreamError | undefined
  try {
    await producer.flush()
  } catch (error) {
    flushError = error as DurableStreamError
  }
  await Promise.all(second)
  if (flushError === undefined) expect.fail("flush() resolved although a batch could not be stored")
  return { acked, rejected, flushError }
}

describe("a batch that fails for good (retries disabled)", () => {
  it("a 503 mid-stream rejects flush and the batch's appends; exactly the acknowledged messages are stored", async () => {
    const stream = await JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })
    const errors: Error[] = []
    const producer = new IdempotentProducer<Numbered>(stream, "writer", {
      maxBatchItems: 10,
      maxInFlight: 5,
      lingerMs: 0,
      retry: NO_RETRIES,
      onError: (error) => errors.push(error),
    })

    const { acked, rejected, flushError } = await writeAcrossFault(producer, () =>
      ref.injectFault(stream.url, { status: 503, count: 1, method: "POST" })
    )

    expect(flushError.status).toBe(503)
    expect(producer.error).toBe(flushError)
    expect(errors).toEqual([flushError])
    // Every message is accounted for, and the failure is not hidden.
    expect(acked.size + rejected.size).toBe(BEFORE + AFTER)
    expect(rejected.size).toBeGreaterThan(0)
    // The messages of the batch that got the 503 carry the 503 itself.
    expect([...rejected.values()].some((error) => error.status === 503)).toBe(true)

    // Stored == acknowledged: nothing acknowledged is missing, nothing
    // reported as failed sneaked in (a batch's failure fails every later
    // one, and the server refuses a seq gap anyway).
    const stored = indexesOf(await stream.read().json())
    expect(new Set(stored)).toEqual(acked)
    expectExactSequence(stored, acked.size, "stored messages")

    // A failed producer stays failed until restart().
    await expectStreamError(producer.append({ i: -1 }), flushError.code)
    await producer.restart()
    await producer.append({ i: BEFORE + AFTER })
    expect(indexesOf(await stream.read().json()).at(-1)).toBe(BEFORE + AFTER)
  })

  // Through the proxy: the batch is lost on the way in, or stored with its
  // answer lost on the way back. Either way its outcome is unknown to the
  // client, which must say so instead of resolving flush.
  it.each<FaultKind>(["dropDuringRequest", "dropBeforeResponse"])(
    "a single %s mid-stream rejects flush, and every acknowledged message is stored once",
    async (kind) => {
      const stream = await JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })
      const proxy = await startFaultProxy({ target: ref.url, seed: 7 })
      try {
        const producer = new IdempotentProducer<Numbered>(jsonHandle(viaProxy(proxy.url, stream.url)), "writer", {
          maxBatchItems: 10,
          maxInFlight: 5,
          lingerMs: 0,
          retry: NO_RETRIES,
        })
        const { acked, rejected, flushError } = await writeAcrossFault(producer, () =>
          proxy.setPlan({ methods: ["POST"], [kind]: 1, maxFaults: 1 })
        )
        expect(proxy.stats[kind]).toBe(1)
        expect(flushError.code).toBe("NETWORK")
        expect(acked.size + rejected.size).toBe(BEFORE + AFTER)
        expect(rejected.size).toBeGreaterThan(0)

        const stored = indexesOf(await stream.read().json())
        // Stored once each, in order, and a superset of what was acknowledged
        // (a batch whose answer was lost may be stored although it was
        // reported as failed: the client cannot know).
        expectExactSequence(stored, stored.length, "stored messages")
        for (const i of acked) expect(stored.includes(i), `acknowledged message ${i} is stored`).toBe(true)
      } finally {
        await proxy.stop()
      }
    }
  )

  it("an append response cut after its 200 status line is a success: flush resolves and everything is stored once", async () => {
    // The reference server answers appends with a chunked empty body, so the
    // proxy's cut comes after the status and headers: the outcome is known.
    const stream = await JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })
    const proxy = await startFaultProxy({ target: ref.url, seed: 7 })
    try {
      const producer = new IdempotentProducer<Numbered>(jsonHandle(viaProxy(proxy.url, stream.url)), "writer", {
        maxBatchItems: 10,
        lingerMs: 0,
        retry: NO_RETRIES,
      })
      await producer.append({ i: 0 })
      proxy.setPlan({ methods: ["POST"], dropDuringResponse: 1, maxFaults: 5 })
      for (let i = 1; i < 100; i++) void producer.append({ i })
      await producer.flush()
      expect(proxy.stats.dropDuringResponse).toBe(5)
      expectExactSequence(indexesOf(await stream.read().json()), 100, "stored messages")
    } finally {
      await proxy.stop()
    }
  })
})

describe("aborting a producer mid-flight", () => {
  it("rejects what is pending and flush with ABORTED, stops sending, and loses nothing acknowledged", async () => {
    const stream = await JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })
    // Slow POSTs, so batches are on the wire when the abort comes.
    const proxy = await startFaultProxy({
      target: ref.url,
      plan: { methods: ["POST"], delay: 1, delayMs: { min: 5, max: 40 } },
      seed: 3,
    })
    try {
      const { crashes } = await withCrashWatch(async () => {
        const controller = new AbortController()
        const producer = new IdempotentProducer<Numbered>(jsonHandle(viaProxy(proxy.url, stream.url)), "writer", {
          maxBatchItems: 10,
          lingerMs: 0,
          retry: FAST_RETRY,
          signal: controller.signal,
        })
        const outcomes: Array<"acked" | string> = []
        const settled = Array.from({ length: 1000 }, (_, i) =>
          producer.append({ i }).then(
            () => void (outcomes[i] = "acked"),
            (error: DurableStreamError) => void (outcomes[i] = error.code)
          )
        )
        await waitFor(() => outcomes.filter((outcome) => outcome === "acked").length >= 20, "some acknowledgements")
        controller.abort()
        await expectStreamError(producer.flush(), "ABORTED")
        await Promise.all(settled)
        await expectStreamError(producer.append({ i: 1000 }), "ABORTED")

        const acked = outcomes.filter((outcome) => outcome === "acked").length
        // Acknowledged: a prefix; everything after it was rejected as aborted.
        expect(outcomes.slice(0, acked).every((outcome) => outcome === "acked")).toBe(true)
        expect(outcomes.slice(acked).every((outcome) => outcome === "ABORTED")).toBe(true)
        expect(acked).toBeLessThan(1000)

        // Nothing is sent after the abort: no retries, no later batches. (A
        // request that was already on the network may still land, like any
        // request whose answer is lost.)
        await delay(50)
        const requests = proxy.stats.requests
        await delay(150)
        expect(proxy.stats.requests).toBe(requests)

        const stored = indexesOf(await stream.read().json())
        // Batches cancelled on the wire may or may not have been stored, but
        // nothing acknowledged is missing and nothing is stored twice.
        expectExactSequence(stored, stored.length, "stored messages")
        expect(stored.length).toBeGreaterThanOrEqual(acked)
      })
      expect(crashes).toEqual([])
    } finally {
      await proxy.stop()
    }
  })
})

describe("a reader whose response is cut mid-body", () => {
  const TOTAL = 2000
  const ROUND = 40

  it.each(["long-poll", "sse"] as const)(
    "in %s mode neither crashes the process nor loses or repeats a message",
    async (live) => {
      const stream = await JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })
      const proxy = await startFaultProxy({
        target: ref.url,
        // A long-poll response is cut halfway. An SSE response is one long
        // body: every one is cut once 2000 bytes got through, mid-event,
        // which is after at least one control event because the writer
        // below never lets the reader fall more than one round behind.
        plan:
          live === "sse"
            ? { methods: ["GET"], dropDuringResponse: 1, responseBytesBeforeDrop: 2000 }
            : { methods: ["GET"], dropDuringResponse: 0.4 },
        seed: 11,
      })
      try {
        const { result: got, crashes } = await withCrashWatch(async () => {
          // Every live read starts with plain catch-up GETs; in SSE mode those go
          // straight to the server, so the proxy cuts SSE responses only.
          const session = (
            live === "sse"
              ? new JsonStream<Numbered>({
                  url: viaProxy(proxy.url, stream.url),
                  retry: FAST_RETRY,
                  fetch: (input, init) =>
                    fetch(new URL(input).searchParams.has("live") ? input : input.replace(proxy.url, ref.url), init),
                })
              : jsonHandle<Numbered>(viaProxy(proxy.url, stream.url))
          ).read({ live })
          const got: Numbered[] = []
          const reading = (async () => {
            for await (const batch of session) got.push(...batch.items)
          })()
          await waitFor(() => session.upToDate, "the reader to catch up")
          const producer = new IdempotentProducer<Numbered>(stream, "writer", { retry: FAST_RETRY })
          for (let start = 0; start < TOTAL; start += ROUND) {
            for (let i = start; i < start + ROUND; i++) void producer.append({ i })
            await producer.flush()
            await waitFor(() => got.length >= start + ROUND, `the reader to get message ${start + ROUND - 1}`)
          }
          await producer.close({ p: "final", i: TOTAL })
          await reading
          expect(session.closed).toBe(true)
          return got
        })
        expect(crashes).toEqual([])
        expect(got.at(-1)).toEqual({ p: "final", i: TOTAL })
        expectExactSequence(indexesOf(got.slice(0, -1)), TOTAL, `${live} reader`)
        console.log(`${live} reader through a cutting proxy:`, JSON.stringify(proxy.stats))
        expect(proxy.stats.dropDuringResponse).toBeGreaterThan(10)
      } finally {
        await proxy.stop()
      }
    },
    60_000
  )
})
