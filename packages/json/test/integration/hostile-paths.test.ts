/**
 * The producer and JSON appends in front of a real server reached through a
 * load balancer that redirects, or a hop that hangs: success must mean
 * stored, and every wait must end.
 */
import { startHostileServer, type HostileServer } from "@durable-client/testing"
import { expectErrorCode, useReferenceServer } from "@durable-client/testing/vitest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { IdempotentProducer, JsonStream, type DurableStreamError } from "../../src/index"

const ref = useReferenceServer()
let hostile: HostileServer
beforeAll(async () => {
  hostile = await startHostileServer()
})
afterAll(async () => {
  await hostile.close()
})

const FAST_RETRY = { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 5 }
let counter = 0

describe("a redirect in front of the server", () => {
  for (const status of [301, 302, 303] as const) {
    it(`${status}: flush() rejects with REDIRECTED and the stream is left as it was (fetch would have sent a GET)`, async () => {
      const real = await JsonStream.create<number>({ url: ref.streamUrl() })
      const front = `/lb/${status}-${++counter}`
      hostile.script(front, { kind: "redirect", status, location: real.url })
      const viaBalancer = new JsonStream<number>({
        url: hostile.url + front,
        contentType: "application/json",
        retry: FAST_RETRY,
      })
      const producer = new IdempotentProducer(viaBalancer, "writer", { lingerMs: 1, retry: FAST_RETRY })
      const appends = Array.from({ length: 21 }, (_, i) => producer.append(i))
      const error = await expectErrorCode<DurableStreamError>(producer.flush(), "REDIRECTED")
      expect(error.location).toBe(real.url)
      for (const append of appends) await expectErrorCode(append, "REDIRECTED")
      expect(await real.read().json()).toEqual([])
    })
  }

  it("a plain JSON append is refused the same way", async () => {
    const real = await JsonStream.create<number>({ url: ref.streamUrl() })
    const front = `/lb/append-${++counter}`
    hostile.script(front, { kind: "redirect", status: 302, location: real.url })
    const viaBalancer = new JsonStream<number>({ url: hostile.url + front, contentType: "application/json" })
    await expectErrorCode(viaBalancer.append(1), "REDIRECTED")
    expect(await real.read().json()).toEqual([])
  })
})

describe("a hop that hangs", () => {
  it("a producer POST that never answers is resent with the same seq, and flush() settles with every message stored once", async () => {
    const real = await JsonStream.create<number>({ url: ref.streamUrl() })
    const front = `/hop/${++counter}`
    // The first POST goes to a hop that never answers.
    const forwarded: string[] = []
    hostile.script(front, [{ kind: "hang" }])
    const hungOnce = new JsonStream<number>({
      url: hostile.url + front,
      contentType: "application/json",
      timeouts: { headersMs: 200 },
      retry: FAST_RETRY,
      // After the first attempt, talk to the real server directly: a hop that recovered.
      fetch: async (input: string, init: RequestInit) => {
        forwarded.push(String(init?.method))
        return forwarded.length === 1 ? fetch(input, init) : fetch(real.url, init)
      },
    })
    const producer = new IdempotentProducer(hungOnce, "writer", { lingerMs: 1, retry: FAST_RETRY })
    for (let i = 0; i < 10; i++) void producer.append(i)
    await producer.flush()
    expect(await real.read().json()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(forwarded.length).toBeGreaterThanOrEqual(2)
  })
})
