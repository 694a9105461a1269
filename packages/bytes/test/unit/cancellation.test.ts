import { http, HttpResponse } from "msw"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { DurableStream, type ReadSession } from "../../src/index"
import { FakeStream } from "./support/fake-stream"
import { bytes, settle, streamUrl, take, until, useMswServer } from "./support/msw"

const server = useMswServer()

/**
 * A fetch (through msw) that counts requests in flight: from the call until
 * the promise rejects, or until the response body is read to its end,
 * errors or is cancelled.
 */
function trackingFetch(): { fetch: typeof fetch; inFlight: () => number; started: () => number } {
  let inFlight = 0
  let started = 0
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    inFlight++
    started++
    let open = true
    const done = (): void => {
      if (open) {
        open = false
        inFlight--
      }
    }
    let response: Response
    try {
      response = await globalThis.fetch(input, init)
    } catch (error) {
      done()
      throw error
    }
    const source = response.body
    if (source === null) {
      done()
      return response
    }
    const reader = source.getReader()
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done: end, value } = await reader.read()
          if (end) {
            done()
            controller.close()
          } else {
            controller.enqueue(value)
          }
        } catch (error) {
          done()
          controller.error(error)
        }
      },
      cancel(reason) {
        done()
        void reader.cancel(reason).catch(() => undefined)
      },
    })
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }
  return { fetch: wrapped as typeof fetch, inFlight: () => inFlight, started: () => started }
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length

/**
 * Tracks timers the SDK itself arms (its source files on the stack), so the
 * test runner's own timers cannot blur the count. Pending = armed, neither
 * fired nor cleared.
 */
function trackSdkTimers(): { pending: () => number; restore: () => void } {
  const realSet = globalThis.setTimeout
  const realClear = globalThis.clearTimeout
  const pending = new Set<unknown>()
  const wrappedSet = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): unknown => {
    const fromSdk = (new Error().stack ?? "").includes("/packages/bytes/src/")
    const handle: unknown = realSet(
      (...callArgs: unknown[]) => {
        pending.delete(handle)
        callback(...callArgs)
      },
      ms,
      ...args
    )
    if (fromSdk) pending.add(handle)
    return handle
  }
  const wrappedClear = (handle: unknown): void => {
    pending.delete(handle)
    realClear(handle as Parameters<typeof clearTimeout>[0])
  }
  globalThis.setTimeout = wrappedSet as unknown as typeof setTimeout
  globalThis.clearTimeout = wrappedClear as typeof clearTimeout
  return {
    pending: () => pending.size,
    restore: () => {
      globalThis.setTimeout = realSet
      globalThis.clearTimeout = realClear
    },
  }
}

let sdkTimers: ReturnType<typeof trackSdkTimers>
beforeEach(() => {
  sdkTimers = trackSdkTimers()
})
afterEach(() => {
  sdkTimers.restore()
})

/**
 * The process-wide timer count before a session starts. The test runner's
 * own RPC timers come and go (more so on a loaded machine), so take the
 * lowest count seen over a few event-loop turns.
 */
async function timerBaseline(): Promise<number> {
  let lowest = Number.POSITIVE_INFINITY
  for (let i = 0; i < 50; i++) {
    lowest = Math.min(lowest, timers())
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return lowest
}

function liveFake(name: string, options: ConstructorParameters<typeof FakeStream>[1] = {}): FakeStream {
  const fake = new FakeStream(streamUrl(name), { contentType: "text/plain", ...options })
  fake.append(bytes("hello"))
  server.use(...fake.handlers())
  return fake
}

async function expectQuiet(session: ReadSession, tracker: { inFlight: () => number }, baseline: number): Promise<void> {
  await until(() => tracker.inFlight() === 0, "no request in flight")
  await settle(20)
  expect(tracker.inFlight()).toBe(0)
  expect(sdkTimers.pending()).toBe(0)
  await until(() => timers() <= baseline, "the process timer count back to its baseline", 3000)
  expect(session.status).toBe("closed")
}

describe("cancellation leaves nothing pending", () => {
  it("a long-poll waiting for data", async () => {
    const fake = liveFake("cancel-long-poll")
    const tracker = trackingFetch()
    const baseline = await timerBaseline()
    const session = new DurableStream({ url: fake.url, fetch: tracker.fetch }).read({
      live: "long-poll",
      longPollTimeoutMs: 60_000,
    })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    const pending = iterator.next()
    await until(() => fake.requests.length === 2, "the waiting poll")
    expect(tracker.inFlight()).toBe(1)
    // The client-side long-poll timeout is armed while the poll waits.
    expect(sdkTimers.pending()).toBe(1)
    await session.cancel()
    expect(await pending).toEqual({ done: true, value: undefined })
    await expectQuiet(session, tracker, baseline)
  })

  it("an SSE connection waiting for events", async () => {
    const fake = liveFake("cancel-sse")
    const tracker = trackingFetch()
    const baseline = await timerBaseline()
    const session = new DurableStream({ url: fake.url, fetch: tracker.fetch, contentType: "text/plain" }).read({
      live: "sse",
    })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    const pending = iterator.next()
    await settle(20)
    expect(tracker.inFlight()).toBe(1)
    await session.cancel()
    expect(await pending).toEqual({ done: true, value: undefined })
    await expectQuiet(session, tracker, baseline)
    expect(fake.requestsOf("sse")).toHaveLength(1)
  })

  it("a session sleeping in backoff", async () => {
    const url = streamUrl("cancel-backoff")
    let requests = 0
    server.use(
      http.get(url, () => {
        requests++
        return new HttpResponse(null, { status: 503 })
      })
    )
    const tracker = trackingFetch()
    const baseline = await timerBaseline()
    const session = new DurableStream({
      url,
      fetch: tracker.fetch,
      retry: { initialDelayMs: 30_000, maxDelayMs: 30_000, multiplier: 1 },
    }).read({ live: "long-poll" })
    const done = session.bytes()
    await until(() => session.status === "backoff" && tracker.inFlight() === 0, "backoff")
    // Full jitter may draw a 0 ms wait; then the retry is already on its way.
    await until(() => sdkTimers.pending() === 1 || requests > 1, "the backoff timer")
    await session.cancel()
    expect(new TextDecoder().decode(await done)).toBe("")
    await expectQuiet(session, tracker, baseline)
  })

  it("an SSE session aborted by the caller's signal", async () => {
    const fake = liveFake("abort-sse")
    const tracker = trackingFetch()
    const baseline = await timerBaseline()
    const controller = new AbortController()
    const session = new DurableStream({ url: fake.url, fetch: tracker.fetch, contentType: "text/plain" }).read({
      live: "sse",
      signal: controller.signal,
    })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    const pending = iterator.next()
    await settle(20)
    controller.abort()
    await expect(pending).rejects.toMatchObject({ code: "ABORTED" })
    await until(() => tracker.inFlight() === 0, "no request in flight")
    expect(sdkTimers.pending()).toBe(0)
    await until(() => timers() <= baseline, "the process timer count back to its baseline", 3000)
    expect(session.status).toBe("error")
  })

  it("a finished session leaves nothing behind either", async () => {
    const fake = liveFake("finished")
    fake.close()
    const tracker = trackingFetch()
    const baseline = await timerBaseline()
    const session = new DurableStream({ url: fake.url, fetch: tracker.fetch }).read({ live: "long-poll" })
    expect(new TextDecoder().decode(await session.bytes())).toBe("hello")
    await expectQuiet(session, tracker, baseline)
    expect(tracker.started()).toBeGreaterThan(0)
  })
})
