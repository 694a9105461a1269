import {
  FAULT_KINDS,
  startFaultProxy,
  startReferenceServer,
  type FaultPlan,
  type FaultProxy,
  type ReferenceServer,
} from "@durable-client/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DurableStream, IdempotentProducer, JsonStream, type ProducerAppendResult } from "../../src/index"
import {
  FAST_RETRY,
  expectExactSequence,
  indexesOf,
  jsonHandle,
  viaProxy,
  waitFor,
  type Numbered,
} from "./support"

let ref: ReferenceServer
let writeProxy: FaultProxy
let readProxy: FaultProxy

// Seeds are fixed so a failure can be replayed; they are printed with the
// stats. SOAK_SEED=<n> runs the soak with other seeds (n and n + 1).
const SEED_OVERRIDE = process.env.SOAK_SEED === undefined ? undefined : Number(process.env.SOAK_SEED)
const WRITE_SEED = SEED_OVERRIDE ?? 20_260_101
const READ_SEED = SEED_OVERRIDE === undefined ? 20_260_202 : SEED_OVERRIDE + 1

/**
 * Every failure kind the proxy knows, on appends: 27% of POSTs fail, and a
 * fifth are delayed on top. `dropBeforeResponse` is the dangerous one: the
 * server stored the batch, the client never hears so and must resend it.
 */
const WRITE_PLAN: FaultPlan = {
  methods: ["POST"],
  dropDuringRequest: 0.06,
  dropBeforeResponse: 0.06,
  dropDuringResponse: 0.05,
  unavailable: 0.05,
  rateLimited: 0.05,
  retryAfterSeconds: 0,
  delay: 0.2,
  delayMs: { min: 1, max: 20 },
}

/** Reads: bodies cut mid-response (SSE and long-poll included), 503, 429, delays. */
const READ_PLAN: FaultPlan = {
  methods: ["GET"],
  dropDuringResponse: 0.12,
  dropBeforeResponse: 0.03,
  unavailable: 0.07,
  rateLimited: 0.06,
  retryAfterSeconds: 0,
  delay: 0.2,
  delayMs: { min: 1, max: 20 },
}

beforeAll(async () => {
  ref = await startReferenceServer()
  writeProxy = await startFaultProxy({ target: ref.url, plan: WRITE_PLAN, seed: WRITE_SEED })
  readProxy = await startFaultProxy({ target: ref.url, plan: READ_PLAN, seed: READ_SEED })
})

afterAll(async () => {
  await writeProxy?.stop()
  await readProxy?.stop()
  await ref?.stop()
})

const COUNT = 20_000

describe("fault-proxy soak", () => {
  it(
    "20 000 producer messages and a close through a faulty network arrive with none lost and none duplicated, and faulty readers see each once",
    async () => {
      const direct = await JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })
      const readUrl = viaProxy(readProxy.url, direct.url)

      // Live readers tail through the faulty read proxy while the producer
      // writes; they end when the producer closes the stream.
      const tails = (["long-poll", "sse"] as const).map((live) => {
        const session = jsonHandle<Numbered>(readUrl).read({ live })
        return { name: `${live} tail`, session, reading: session.json() }
      })
      for (const { name, session } of tails) await waitFor(() => session.upToDate, `the ${name} to catch up`)

      const producer = new IdempotentProducer<Numbered>(jsonHandle(viaProxy(writeProxy.url, direct.url)), "soak", {
        maxInFlight: 5,
        maxBatchItems: 50,
        lingerMs: 1,
        retry: FAST_RETRY,
      })
      const acks: Array<Promise<ProducerAppendResult>> = []
      for (let i = 0; i < COUNT; i++) {
        acks.push(producer.append({ i }))
        if (i % 1000 === 999) await producer.ready
      }
      await producer.flush()
      expect(producer.error).toBeUndefined()
      const results = await Promise.all(acks)

      const writeStats = { ...writeProxy.stats }
      console.log(`write proxy (seed ${WRITE_SEED}):`, JSON.stringify(writeStats))

      // The truth, straight from the server.
      const stored = await direct.read().json()
      expectExactSequence(indexesOf(stored), COUNT, "stored messages")

      // Every failure kind really happened, many times over.
      for (const kind of FAULT_KINDS) expect(writeStats[kind], kind).toBeGreaterThan(0)
      expect(writeStats.delayed).toBeGreaterThan(0)
      expect(writeStats.upstreamErrors).toBe(0)
      // Some batches reached the server but their answer was lost: their
      // resends were recognised as duplicates instead of being stored twice.
      expect(results.some((result) => result.duplicate)).toBe(true)
      // Many requests: the faults hit a long pipeline, not a handful of batches.
      expect(writeStats.requests).toBeGreaterThan(COUNT / 50)

      // The close with a final message is stored, but its answer is lost:
      // the resend must be taken as the same close, not fail or add a copy.
      writeProxy.setPlan({ methods: ["POST"], dropBeforeResponse: 1, maxFaults: 1 })
      await producer.close({ p: "final", i: COUNT })
      expect(writeProxy.stats.dropBeforeResponse).toBe(writeStats.dropBeforeResponse + 1)
      const final = { p: "final", i: COUNT }
      const closed = await direct.read().json()
      expect(closed).toHaveLength(COUNT + 1)
      expect(closed.at(-1)).toEqual(final)
      expect((await direct.head()).closed).toBe(true)

      for (const { name, session, reading } of tails) {
        const messages = await reading
        expect(messages.at(-1), name).toEqual(final)
        expectExactSequence(indexesOf(messages.slice(0, -1)), COUNT, name)
        expect(session.closed, name).toBe(true)
      }

      // A catch-up read through the faulty proxy, after the fact.
      const catchUpSession = jsonHandle<Numbered>(readUrl).read()
      const catchUp = await catchUpSession.json()
      expect(catchUp.at(-1)).toEqual(final)
      expectExactSequence(indexesOf(catchUp.slice(0, -1)), COUNT, "catch-up through the read proxy")
      expect(catchUpSession.closed).toBe(true)

      const readStats = { ...readProxy.stats }
      console.log(`read proxy (seed ${READ_SEED}):`, JSON.stringify(readStats))
      for (const kind of ["dropDuringResponse", "dropBeforeResponse", "unavailable", "rateLimited", "delayed"] as const) {
        expect(readStats[kind], kind).toBeGreaterThan(0)
      }
    },
    120_000
  )

  it("a producer on a byte stream dedupes its resends the same way: the text arrives exactly once", async () => {
    const proxy = await startFaultProxy({ target: ref.url, plan: WRITE_PLAN, seed: WRITE_SEED + 1 })
    try {
      const direct = await DurableStream.create({ url: ref.streamUrl(), contentType: "text/plain" })
      const handle = new DurableStream({ url: viaProxy(proxy.url, direct.url), contentType: "text/plain" })
      const producer = new IdempotentProducer(handle, "bytes", { maxBatchItems: 20, lingerMs: 1, retry: FAST_RETRY })
      const parts: string[] = []
      for (let i = 0; i < 3000; i++) {
        const part = `${i};`
        parts.push(part)
        void producer.append(part)
      }
      await producer.flush()
      console.log(`byte producer proxy (seed ${WRITE_SEED + 1}):`, JSON.stringify(proxy.stats))
      expect(proxy.stats.dropBeforeResponse).toBeGreaterThan(0)
      const text = await direct.read().text()
      // Compared by parts, so a failure names the first wrong one.
      expectExactSequence(
        text.split(";").slice(0, -1).map(Number),
        parts.length,
        "byte stream parts"
      )
      expect(text).toBe(parts.join(""))
    } finally {
      await proxy.stop()
    }
  }, 60_000)
})
