import {
  DEFAULT_TEST_LONG_POLL_TIMEOUT_MS,
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
  withCrashWatch,
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

/**
 * Request deadlines for the stall soak, deliberately short so a stalled
 * request costs well under a second. A long-poll may legitimately wait the
 * server's whole long-poll timeout for its headers, so it gets that plus a
 * margin instead of `headersMs`; an idle SSE connection hears a keep-alive
 * control event every long-poll timeout, so `sseIdleMs` is twice that.
 */
const STALL_DEADLINES = {
  headersMs: 500,
  bodyIdleMs: 500,
  sseIdleMs: 2 * DEFAULT_TEST_LONG_POLL_TIMEOUT_MS,
  longPollMs: DEFAULT_TEST_LONG_POLL_TIMEOUT_MS + 1_000,
}

/** A handle with the stall deadlines, on an existing stream reached through a proxy. */
function deadlineHandle<T>(url: string): JsonStream<T> {
  return new JsonStream<T>({ url, contentType: "application/json", retry: FAST_RETRY, timeouts: STALL_DEADLINES })
}

// Answers slower than every deadline above, so a slowloris answer stalls
// the client right after the headers (or inside them, when it has no body).
const SLOWLORIS_INTERVAL_MS = 2_000

/**
 * Stalls on appends: about 2% of POSTs hang (forwarded first, so the batch
 * is stored and its answer never comes) or come back a byte every 2 s.
 * Capped at 10 so the soak costs a few seconds of deadlines, not minutes.
 * The seed puts both kinds early in the producer's ~400 requests (8 of them
 * stall); it is fixed even under SOAK_SEED, as are the read seeds, because
 * the assertions that each kind happened depend on them.
 */
const STALL_WRITE = {
  seed: 20_260_303,
  plan: {
    methods: ["POST"],
    hang: 0.01,
    slowloris: 0.01,
    slowlorisIntervalMs: SLOWLORIS_INTERVAL_MS,
    maxFaults: 10,
  } satisfies FaultPlan,
}

/**
 * Stalls on reads, one proxy per live mode so each mode's reader alone
 * decides which of its requests stall, and the seeds make it meet both
 * kinds. A live reader makes few requests while a fast producer writes (an
 * SSE connection serves many messages, a long-poll answer carries all that
 * arrived since the last), hence the high rates; each budget of 4 keeps the
 * time lost to deadlines small.
 */
const STALL_READS = {
  "long-poll": {
    seed: 20_260_321,
    plan: { methods: ["GET"], hang: 0.3, slowloris: 0.3, slowlorisIntervalMs: SLOWLORIS_INTERVAL_MS, maxFaults: 4 },
  },
  sse: {
    seed: 20_260_316,
    plan: { methods: ["GET"], hang: 0.3, slowloris: 0.3, slowlorisIntervalMs: SLOWLORIS_INTERVAL_MS, maxFaults: 4 },
  },
} as const satisfies Record<string, { seed: number; plan: FaultPlan }>

/** Fails with `what` instead of letting the test time out with no word of what hung. */
async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
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
        if (i % 1000 === 999) await producer.waitForCapacity()
      }
      await producer.flush()
      expect(producer.error).toBeUndefined()
      const results = await Promise.all(acks)

      const writeStats = { ...writeProxy.stats }
      console.log(`write proxy (seed ${WRITE_SEED}):`, JSON.stringify(writeStats))

      // The truth, straight from the server.
      const stored = await direct.read().json()
      expectExactSequence(indexesOf(stored), COUNT, "stored messages")

      // Every failure kind of the plan really happened, many times over.
      for (const kind of FAULT_KINDS.filter((kind) => (WRITE_PLAN[kind] ?? 0) > 0)) {
        expect(writeStats[kind], kind).toBeGreaterThan(0)
      }
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

  it(
    "hung and slowloris requests, cut short by request deadlines: 20 000 producer messages arrive once each, flush settles, and live readers in each mode see each once",
    async () => {
      const stallWriteProxy = await startFaultProxy({ target: ref.url, ...STALL_WRITE })
      const readProxies = {
        "long-poll": await startFaultProxy({ target: ref.url, ...STALL_READS["long-poll"] }),
        sse: await startFaultProxy({ target: ref.url, ...STALL_READS.sse }),
      }
      const sessions: Array<{ cancel(): Promise<void> }> = []
      try {
        const { crashes } = await withCrashWatch(async () => {
          const direct = await JsonStream.create<Numbered>({ url: ref.streamUrl(), retry: FAST_RETRY })
          const tails = (["long-poll", "sse"] as const).map((live) => {
            const session = deadlineHandle<Numbered>(viaProxy(readProxies[live].url, direct.url)).read({ live })
            sessions.push(session)
            return { live, session, reading: session.json() }
          })
          for (const { live, session } of tails) await waitFor(() => session.upToDate, `the ${live} tail to catch up`)

          const producer = new IdempotentProducer<Numbered>(deadlineHandle(viaProxy(stallWriteProxy.url, direct.url)), "stalls", {
            maxInFlight: 5,
            maxBatchItems: 50,
            lingerMs: 1,
            retry: FAST_RETRY,
          })
          const acks: Array<Promise<ProducerAppendResult>> = []
          for (let i = 0; i < COUNT; i++) {
            acks.push(producer.append({ i }))
            if (i % 1000 === 999) await settlesWithin(producer.waitForCapacity(), 30_000, `producer.waitForCapacity() after ${i + 1} appends`)
          }
          await settlesWithin(producer.flush(), 60_000, "producer.flush()")
          expect(producer.error).toBeUndefined()
          const results = await Promise.all(acks)

          const writeStats = { ...stallWriteProxy.stats }
          console.log(`stall write proxy (seed ${STALL_WRITE.seed}):`, JSON.stringify(writeStats))
          expectExactSequence(indexesOf(await direct.read().json()), COUNT, "stored messages")
          expect(writeStats.hang, "hang").toBeGreaterThan(0)
          expect(writeStats.slowloris, "slowloris").toBeGreaterThan(0)
          expect(writeStats.upstreamErrors).toBe(0)
          // Both kinds forward the batch before stalling: the server stored
          // it, so the resend after the deadline must come back a duplicate.
          expect(results.some((result) => result.duplicate)).toBe(true)

          const final = { p: "final", i: COUNT }
          await settlesWithin(producer.close(final), 30_000, "producer.close()")
          for (const { live, session, reading } of tails) {
            const messages = await settlesWithin(reading, 30_000, `the ${live} tail`)
            expect(messages.at(-1), live).toEqual(final)
            expectExactSequence(indexesOf(messages.slice(0, -1)), COUNT, `${live} tail`)
            expect(session.closed, live).toBe(true)

            const readStats = { ...readProxies[live].stats }
            console.log(`stall ${live} read proxy (seed ${STALL_READS[live].seed}):`, JSON.stringify(readStats))
            expect(readStats.hang, `${live} hang`).toBeGreaterThan(0)
            expect(readStats.slowloris, `${live} slowloris`).toBeGreaterThan(0)
          }
        })
        expect(crashes).toEqual([])
      } finally {
        // On failure, readers may still be parked on a stalled request.
        await Promise.allSettled(sessions.map((session) => session.cancel()))
        await Promise.all([stallWriteProxy.stop(), readProxies["long-poll"].stop(), readProxies.sse.stop()])
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
