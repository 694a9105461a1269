import { startFaultProxy } from "@durable-client/testing"
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { IdempotentProducer, JsonStream, type DurableStreamError, type ProducerAppendResult } from "../../src/index"
import {
  FAST_RETRY,
  expectExactSequence,
  expectStreamError,
  indexesOf,
  jsonHandle,
  viaProxy,
  type Numbered,
} from "./support"

const ref = useReferenceServer()

async function freshStream(): Promise<JsonStream<Numbered>> {
  return JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })
}

describe("two producers with different ids on one stream", () => {
  it("interleave without loss, each producer's messages in its own order", async () => {
    const stream = await freshStream()
    // Small batches so both keep several requests on the wire at once.
    const options = { maxBatchItems: 20, lingerMs: 1, retry: FAST_RETRY }
    const a = new IdempotentProducer(stream, "writer-a", options)
    const b = new IdempotentProducer(stream, "writer-b", options)
    const PER_PRODUCER = 5000
    const ROUND = 500

    for (let start = 0; start < PER_PRODUCER; start += ROUND) {
      for (let i = start; i < start + ROUND; i++) {
        void a.append({ p: "a", i })
        void b.append({ p: "b", i })
      }
      // Both rounds are on the wire together; the next round starts after
      // both finished, so neither producer's messages can be one block.
      await Promise.all([a.flush(), b.flush()])
    }

    const all = await stream.read().json()
    expect(all).toHaveLength(2 * PER_PRODUCER)
    expectExactSequence(indexesOf(all.filter((m) => m.p === "a"), "a"), PER_PRODUCER, "producer a")
    expectExactSequence(indexesOf(all.filter((m) => m.p === "b"), "b"), PER_PRODUCER, "producer b")
    let switches = 0
    for (let k = 1; k < all.length; k++) if (all[k]!.p !== all[k - 1]!.p) switches++
    expect(switches).toBeGreaterThanOrEqual(PER_PRODUCER / ROUND)
  })
})

type Takeover = (stream: JsonStream<Numbered>) => Promise<IdempotentProducer<Numbered>>

const TAKEOVERS: ReadonlyArray<{ name: string; takeover: Takeover }> = [
  {
    name: "new IdempotentProducer with epoch 1",
    takeover: async (stream) => new IdempotentProducer(stream, "writer", { epoch: 1, retry: FAST_RETRY }),
  },
  {
    name: "a second instance calling restart()",
    takeover: async (stream) => {
      const producer = new IdempotentProducer<Numbered>(stream, "writer", { retry: FAST_RETRY })
      await producer.restart()
      expect(producer.epoch).toBe(1)
      expect(producer.nextSeq).toBe(0)
      return producer
    },
  },
]

describe("a restarted producer (same id, newer epoch)", () => {
  it.each(TAKEOVERS)("via $name fences the old instance, which can write nothing more", async ({ takeover }) => {
    const stream = await freshStream()
    // A long linger: the old instance's later messages stay queued until
    // its flush, which is after the takeover.
    const old = new IdempotentProducer<Numbered>(stream, "writer", { lingerMs: 60_000, retry: FAST_RETRY })
    for (let i = 0; i < 10; i++) void old.append({ p: "old", i })
    await old.flush()

    const successor = await takeover(stream)
    for (let i = 0; i < 5; i++) void successor.append({ p: "new", i })
    await successor.flush()

    // Queued before the old instance learns it was fenced: all rejected.
    const queued = [10, 11, 12].map((i) => old.append({ p: "old", i }))
    const flushError = await expectStreamError(old.flush(), "STALE_EPOCH")
    expect(flushError.status).toBe(403)
    for (const pending of queued) await expectStreamError(pending, "STALE_EPOCH")
    // The fencing sticks: later appends fail at once, nothing is sent.
    await expectStreamError(old.append({ p: "old", i: 13 }), "STALE_EPOCH")
    expect(old.error).toBe(flushError)

    // The successor is unaffected and keeps writing.
    for (let i = 5; i < 10; i++) void successor.append({ p: "new", i })
    await successor.flush()

    const all = await stream.read().json()
    expectExactSequence(indexesOf(all.slice(0, 10), "old"), 10, "old producer before the takeover")
    expectExactSequence(indexesOf(all.slice(10), "new"), 10, "successor")
  })

  it("the old instance's pipelined batches still on the wire at the takeover are fenced, never stored after it", async () => {
    const stream = await freshStream()
    // The old instance writes through a proxy that holds every POST for
    // 300 ms, so its batches are still on the wire when the successor
    // (direct, fast) takes over.
    const proxy = await startFaultProxy({
      target: ref.url,
      plan: { delay: 1, delayMs: { min: 300, max: 300 }, methods: ["POST"] },
      seed: 1,
    })
    try {
      const old = new IdempotentProducer<Numbered>(jsonHandle(viaProxy(proxy.url, stream.url)), "writer", {
        maxBatchItems: 5,
        lingerMs: 0,
        retry: FAST_RETRY,
      })
      await old.append({ p: "old", i: -1 })
      const outcomes: Array<Promise<ProducerAppendResult | Error>> = []
      for (let i = 0; i < 500; i++) {
        outcomes.push(old.append({ p: "old", i }).catch((error: Error) => error))
      }
      const successor = new IdempotentProducer<Numbered>(stream, "writer", { epoch: 1, retry: FAST_RETRY })
      await successor.append({ p: "new", i: 0 })
      await expectStreamError(old.flush(), "STALE_EPOCH")
      await successor.append({ p: "new", i: 1 })

      const settled = await Promise.all(outcomes)
      const acked = settled.filter((outcome) => !(outcome instanceof Error)).length
      // Seqs are a chain: an acknowledged prefix, then everything fenced.
      const firstRejected = settled.findIndex((outcome) => outcome instanceof Error)
      expect(firstRejected).toBe(acked)
      for (const outcome of settled.slice(acked)) expect(outcome).toMatchObject({ code: "STALE_EPOCH" })

      const all = await stream.read().json()
      expect(all[0]).toEqual({ p: "old", i: -1 })
      const newAt = all.findIndex((m) => m.p === "new")
      // Before the successor's first message: exactly the acknowledged prefix.
      expectExactSequence(indexesOf(all.slice(1, newAt), "old"), acked, "old producer's acknowledged messages")
      // After it: only the successor.
      expectExactSequence(indexesOf(all.slice(newAt), "new"), 2, "successor")
      expect(proxy.stats.delayed).toBeGreaterThan(1)
    } finally {
      await proxy.stop()
    }
  })

  it("a fenced instance that calls restart(), as the error advises, takes over past the successor's epoch and loses nothing", async () => {
    const stream = await freshStream()
    const old = new IdempotentProducer<Numbered>(stream, "writer", { retry: FAST_RETRY })
    await old.append({ p: "old", i: 0 })
    const successor = new IdempotentProducer<Numbered>(stream, "writer", { epoch: 1, retry: FAST_RETRY })
    // Several batches, so the successor's epoch has seqs beyond 0.
    for (let i = 0; i < 3; i++) await successor.append({ p: "new", i })

    const fenced = await expectStreamError(old.append({ p: "old", i: 1 }), "STALE_EPOCH")
    expect(fenced.message).toContain("restart()")
    await old.restart()
    // Past the successor's epoch 1: epoch 1 again would share its seqs, and
    // the server would take the new messages for resends of its batches.
    expect(old.epoch).toBeGreaterThan(1)
    const results = await Promise.all([old.append({ p: "old", i: 1 }), old.append({ p: "old", i: 2 })])
    for (const result of results) expect(result.duplicate).toBe(false)
    // Now the successor is the fenced one.
    await expectStreamError(successor.append({ p: "new", i: 3 }), "STALE_EPOCH")

    expect(await stream.read().json()).toEqual([
      { p: "old", i: 0 },
      { p: "new", i: 0 },
      { p: "new", i: 1 },
      { p: "new", i: 2 },
      { p: "old", i: 1 },
      { p: "old", i: 2 },
    ])
  })

  it("with autoClaim, a fresh producer at epoch 0 claims past the fenced epoch and writes", async () => {
    const stream = await freshStream()
    const first = new IdempotentProducer<Numbered>(stream, "writer", { retry: FAST_RETRY })
    await first.append({ p: "first", i: 0 })
    const second = new IdempotentProducer<Numbered>(stream, "writer", { epoch: 3, retry: FAST_RETRY })
    await second.append({ p: "second", i: 0 })

    const claimer = new IdempotentProducer<Numbered>(stream, "writer", { autoClaim: true, retry: FAST_RETRY })
    expect(claimer.epoch).toBe(0)
    for (let i = 0; i < 50; i++) void claimer.append({ p: "claimer", i })
    await claimer.flush()
    // Past the server's epoch 3, restarting its seqs.
    expect(claimer.epoch).toBe(4)
    expect(claimer.error).toBeUndefined()

    // The claim fenced the epoch-3 instance in turn.
    await expectStreamError(second.append({ p: "second", i: 1 }), "STALE_EPOCH")
    // Without autoClaim, a fenced producer does not claim: it fails.
    await expectStreamError(first.append({ p: "first", i: 1 }), "STALE_EPOCH")

    const all = await stream.read().json()
    expect(all.slice(0, 2)).toEqual([
      { p: "first", i: 0 },
      { p: "second", i: 0 },
    ])
    expectExactSequence(indexesOf(all.slice(2), "claimer"), 50, "auto-claiming producer")
  })

  // A process without persisted producer state restarts and creates its
  // producer again at epoch 0, the epoch its previous life used.
  it.each([
    { name: "with autoClaim it claims a new epoch", autoClaim: true },
    { name: "without autoClaim it fails loudly", autoClaim: false },
  ])(
    "a producer reusing the epoch of an earlier life never has its messages acknowledged but dropped: $name",
    async ({ autoClaim }) => {
      const stream = await freshStream()
      const earlier = new IdempotentProducer<Numbered>(stream, "writer", { autoClaim: true, retry: FAST_RETRY })
      for (let i = 0; i < 5; i++) await earlier.append({ p: "earlier", i })
      await earlier.detach()

      const again = new IdempotentProducer<Numbered>(stream, "writer", { autoClaim, retry: FAST_RETRY })
      const outcomes = await Promise.all(
        [0, 1, 2, 3, 4, 5, 6].map((i) =>
          again.append({ p: "again", i }).then(
            (result) => ({ i, result }),
            (error: DurableStreamError) => ({ i, error })
          )
        )
      )
      const acked = outcomes.flatMap((outcome) => ("result" in outcome ? [outcome.i] : []))
      const stored = (await stream.read().json()).filter((m) => m.p === "again").map((m) => m.i)
      // Whatever was acknowledged is stored: no "duplicate" ack for a message the server never had.
      expect(stored).toEqual(acked)
      if (autoClaim) {
        expect(acked).toEqual([0, 1, 2, 3, 4, 5, 6])
        expect(again.epoch).toBeGreaterThan(0)
      } else {
        expect(acked).toEqual([])
        await expectStreamError(again.flush(), "STALE_EPOCH")
        // The remedy the error names: restart() moves to an unused epoch.
        await again.restart()
        const retried = await again.append({ p: "again", i: 7 })
        expect(retried.duplicate).toBe(false)
        expect((await stream.read().json()).at(-1)).toEqual({ p: "again", i: 7 })
      }
    }
  )
})

// Two instances of one producer id at epoch 0 (no persisted epoch): the
// server deduplicates by (id, epoch, seq) alone, so the second instance's
// fresh batches are answered "204 duplicate" for seqs the first one used.
describe("a second instance reusing a producer id at the same epoch", () => {
  const MODES = [
    { mode: "autoClaim", autoClaim: true },
    { mode: "no autoClaim", autoClaim: false },
  ] as const

  async function settle(producer: IdempotentProducer<Numbered>, count: number, pipelined: boolean) {
    const outcomes: Array<{ i: number; result?: ProducerAppendResult; error?: DurableStreamError }> = []
    const one = (i: number) =>
      producer.append({ p: "second", i }).then(
        (result) => outcomes.push({ i, result }),
        (error: DurableStreamError) => outcomes.push({ i, error })
      )
    if (pipelined) await Promise.all(Array.from({ length: count }, (_, i) => one(i)))
    else for (let i = 0; i < count; i++) await one(i)
    return outcomes.sort((a, b) => a.i - b.i)
  }

  it.each(
    MODES.flatMap(({ mode, autoClaim }) =>
      [1, 2, 4].flatMap((earlierBatches) =>
        [false, true].map((pipelined) => ({ mode, autoClaim, earlierBatches, pipelined }))
      )
    )
  )(
    "after $earlierBatches batch(es) of the first, with $mode (pipelined: $pipelined): every message is stored exactly once or rejected STALE_EPOCH, never acknowledged as a duplicate",
    async ({ autoClaim, earlierBatches, pipelined }) => {
      const stream = await freshStream()
      const first = new IdempotentProducer<Numbered>(stream, "writer", { retry: FAST_RETRY })
      for (let i = 0; i < earlierBatches; i++) await first.append({ p: "first", i })

      const second = new IdempotentProducer<Numbered>(stream, "writer", {
        autoClaim,
        maxBatchItems: 1,
        lingerMs: 0,
        retry: FAST_RETRY,
      })
      const outcomes = await settle(second, 6, pipelined)

      for (const outcome of outcomes) expect(outcome.result?.duplicate ?? false).toBe(false)
      const acked = outcomes.flatMap((outcome) => (outcome.result ? [outcome.i] : []))
      const stored = indexesOf((await stream.read().json()).filter((m) => m.p === "second"), "second")
      expect(stored).toEqual(acked)
      if (autoClaim) {
        expect(acked).toEqual([0, 1, 2, 3, 4, 5])
        expect(second.epoch).toBeGreaterThan(0)
        await second.flush()
      } else {
        for (const outcome of outcomes.filter((o) => o.error)) expect(outcome.error!.code).toBe("STALE_EPOCH")
        const error = await expectStreamError(second.flush(), "STALE_EPOCH")
        expect(error.currentEpoch).toBe(0)
        expect(error.message).toContain(stream.url)
      }
    }
  )

  it("both alive: the second is never acknowledged for data it did not store, and with autoClaim it fences the first", async () => {
    const stream = await freshStream()
    const first = new IdempotentProducer<Numbered>(stream, "writer", { retry: FAST_RETRY })
    await first.append({ p: "first", i: 0 })
    const second = new IdempotentProducer<Numbered>(stream, "writer", { autoClaim: true, retry: FAST_RETRY })
    const result = await second.append({ p: "second", i: 0 })
    expect(result.duplicate).toBe(false)
    expect(second.epoch).toBe(1)
    await expectStreamError(first.append({ p: "first", i: 1 }), "STALE_EPOCH")
    expect(await stream.read().json()).toEqual([
      { p: "first", i: 0 },
      { p: "second", i: 0 },
    ])
  })

  it.each(MODES)(
    "a close() by the second instance either closes the stream or rejects STALE_EPOCH ($mode)",
    async ({ autoClaim }) => {
      const stream = await freshStream()
      const first = new IdempotentProducer<Numbered>(stream, "writer", { retry: FAST_RETRY })
      await first.append({ p: "first", i: 0 })
      const second = new IdempotentProducer<Numbered>(stream, "writer", { autoClaim, retry: FAST_RETRY })
      if (autoClaim) {
        await second.close()
        expect((await stream.head()).closed).toBe(true)
      } else {
        await expectStreamError(second.close(), "STALE_EPOCH")
        expect((await stream.head()).closed).toBe(false)
      }
    }
  )

  it("a producer that only closes, alone on its id, closes the stream", async () => {
    const stream = await freshStream()
    const producer = new IdempotentProducer<Numbered>(stream, "closer", { retry: FAST_RETRY })
    await producer.close()
    expect((await stream.head()).closed).toBe(true)
    // Closing again is idempotent.
    await new IdempotentProducer<Numbered>(stream, "closer", { retry: FAST_RETRY }).close()
  })
})
