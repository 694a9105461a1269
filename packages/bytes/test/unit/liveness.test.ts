/**
 * A live session on a real device: it pauses while the page is hidden or
 * the app is in the background, holds its requests while offline, ends a
 * backoff when the network returns, and reconnects at once after the
 * machine slept. Lifecycle sources are the fakes in support/lifecycle.ts.
 */
import { http, HttpResponse } from "msw"
import { afterEach, describe, expect, it, onTestFinished, vi } from "vitest"
import { DurableStream, type SessionStatus, type StreamChunk } from "../../src/index"
import { FakeStream, offsetOf } from "./support/fake-stream"
import { FakeAppState, FakeDocument, FakeNetInfo } from "./support/lifecycle"
import { FAST_RETRY, bytes, settle, streamUrl, take, text, until, useMswServer } from "./support/msw"

const server = useMswServer()

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

/** A fake stream holding `initial`, plus the abort signal of every request it gets. */
function liveStream(name: string, initial = "a"): { fake: FakeStream; signals: AbortSignal[] } {
  const fake = new FakeStream(streamUrl(name), { contentType: "text/plain" })
  fake.append(bytes(initial))
  const signals: AbortSignal[] = []
  // Listed first, answers nothing: every request falls through to the fake stream.
  server.use(
    http.get(fake.url, ({ request }) => {
      signals.push(request.signal)
    }),
    ...fake.handlers()
  )
  return { fake, signals }
}

const kind = (fake: FakeStream, index: number): string =>
  fake.requests[index]?.url.searchParams.get("live") ?? "catch-up"

/** Starts reading and waits until the session has caught up and its first live request is waiting. */
async function tailing(
  fake: FakeStream,
  session: AsyncIterable<StreamChunk>
): Promise<{ iterator: AsyncIterator<StreamChunk>; next: Promise<IteratorResult<StreamChunk>> }> {
  const iterator = session[Symbol.asyncIterator]()
  await take(iterator, 1)
  const next = iterator.next()
  await until(() => fake.requestsOf("long-poll").length === 1, "the first long-poll")
  return { iterator, next }
}

describe("page visibility", () => {
  it("pauses the live request while the page is hidden and resumes from the offset when shown", async () => {
    const { fake, signals } = liveStream("hidden")
    const page = new FakeDocument()
    const session = new DurableStream({ url: fake.url }).read({ live: "long-poll", lifecycle: { visibility: page } })
    const { next } = await tailing(fake, session)
    expect(page.listenerCount).toBe(1)

    page.set("hidden")
    await until(() => session.status === "paused", "the pause")
    expect(signals.at(-1)!.aborted).toBe(true) // the long-poll in flight was ended
    expect(session.health.paused).toBe("hidden")

    // Nothing is asked for while hidden, whatever happens to the stream.
    const asked = fake.requests.length
    fake.append(bytes("b"))
    await settle(30)
    expect(fake.requests).toHaveLength(asked)

    page.set("visible")
    const chunk = (await next).value as StreamChunk
    expect(text(chunk.data)).toBe("b")
    // At once, from the offset it had: a cacheable catch-up GET, then live again.
    expect(kind(fake, asked)).toBe("catch-up")
    expect(fake.requests[asked]!.url.searchParams.get("offset")).toBe(offsetOf(1))
    expect(session.health.paused).toBeUndefined()
    await session.cancel()
    expect(page.listenerCount).toBe(0)
  })

  it("keeps the connection while hidden with pauseWhenHidden: false", async () => {
    const { fake, signals } = liveStream("hidden-kept")
    const page = new FakeDocument()
    const session = new DurableStream({ url: fake.url }).read({
      live: "long-poll",
      lifecycle: { visibility: page, pauseWhenHidden: false },
    })
    const { next } = await tailing(fake, session)
    page.set("hidden")
    fake.append(bytes("b"))
    expect(text(((await next).value as StreamChunk).data)).toBe("b")
    expect(signals.some((signal) => signal.aborted)).toBe(false)
    expect(session.status).toBe("live")
    await session.cancel()
  })

  it("started in a hidden page, catches up but waits to go live until shown", async () => {
    const { fake } = liveStream("hidden-from-start")
    const page = new FakeDocument("hidden")
    const session = new DurableStream({ url: fake.url }).read({ live: "sse", lifecycle: { visibility: page } })
    const iterator = session[Symbol.asyncIterator]()
    expect(text((await take(iterator, 1))[0]!.data)).toBe("a")
    const next = iterator.next()
    await until(() => session.status === "paused", "the pause")
    await settle(30)
    expect(fake.requests.map((_, index) => kind(fake, index))).toEqual(["catch-up"])
    page.set("visible")
    await until(() => fake.requestsOf("sse").length === 1, "the SSE request")
    fake.append(bytes("b"))
    expect(text(((await next).value as StreamChunk).data)).toBe("b")
    expect(session.liveTransport).toBe("sse")
    await session.cancel()
  })

  it("never pauses a catch-up read", async () => {
    const { fake } = liveStream("hidden-catch-up", "history")
    const session = new DurableStream({ url: fake.url }).read({ lifecycle: { visibility: new FakeDocument("hidden") } })
    expect(await session.text()).toBe("history")
  })
})

describe("app state (React Native)", () => {
  it("pauses in the background, not when merely inactive, and resumes in the foreground", async () => {
    const { fake, signals } = liveStream("app-state")
    const appState = new FakeAppState()
    const session = new DurableStream({ url: fake.url, lifecycle: { appState } }).read({ live: "long-poll" })
    const { next } = await tailing(fake, session)

    appState.set("inactive") // iOS: a call or the notification centre; the app is still on screen
    await settle(20)
    expect(session.status).toBe("live")

    appState.set("background")
    await until(() => session.status === "paused", "the pause")
    expect(session.health.paused).toBe("background")
    expect(signals.at(-1)!.aborted).toBe(true)
    const asked = fake.requests.length
    fake.append(bytes("b"))
    await settle(30)
    expect(fake.requests).toHaveLength(asked)

    appState.set("active")
    expect(text(((await next).value as StreamChunk).data)).toBe("b")
    expect(kind(fake, asked)).toBe("catch-up")
    await session.cancel()
    expect(appState.listenerCount).toBe(0)
  })
})

describe("the network", () => {
  /** A stream whose live requests fail with 503 until `healthy` is set; `failed` counts those. */
  function flakyStream(name: string): { fake: FakeStream; state: { healthy: boolean; failed: number } } {
    const state = { healthy: false, failed: 0 }
    const fake = new FakeStream(streamUrl(name), { contentType: "text/plain" })
    fake.append(bytes("a"))
    server.use(
      http.get(fake.url, ({ request }) => {
        if (state.healthy || !new URL(request.url).searchParams.has("live")) return undefined
        state.failed++
        return new HttpResponse(null, { status: 503 })
      }),
      ...fake.handlers()
    )
    return { fake, state }
  }

  // Backoff windows are jittered; pin them at the top so a short wait cannot pass by luck.
  const LONG_BACKOFF = { initialDelayMs: 60_000, maxDelayMs: 60_000, maxRetries: 3 }

  it("an online event ends a backoff and reconnects at once", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999)
    const { fake, state } = flakyStream("online-ends-backoff")
    const netInfo = new FakeNetInfo()
    const session = new DurableStream({ url: fake.url, retry: LONG_BACKOFF }).read({
      live: "long-poll",
      lifecycle: { online: netInfo },
    })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    const next = iterator.next()
    await until(() => session.status === "backoff", "the backoff after a 503")
    expect(state.failed).toBe(1)
    state.healthy = true
    netInfo.set(false)
    netInfo.set(true)
    // Well before the 60 s backoff would end: a catch-up from the offset, then the long-poll.
    await until(() => fake.requestsOf("long-poll").length === 1, "the reconnect", 5_000)
    expect(fake.requests.map((r) => r.url.searchParams.get("live") ?? "catch-up")).toEqual([
      "catch-up",
      "catch-up",
      "long-poll",
    ])
    fake.append(bytes("b"))
    expect(text(((await next).value as StreamChunk).data)).toBe("b")
    await session.cancel()
    expect(netInfo.listenerCount).toBe(0)
  })

  it("holds requests while offline without using up retries, and catches up when back", async () => {
    const { fake, signals } = liveStream("offline")
    const netInfo = new FakeNetInfo()
    const session = new DurableStream({ url: fake.url, retry: { ...FAST_RETRY, maxRetries: 0 } }).read({
      live: "long-poll",
      lifecycle: { online: netInfo },
    })
    const { next } = await tailing(fake, session)
    netInfo.set(false)
    await until(() => session.health.paused === "offline", "the offline pause")
    expect(session.status).toBe("paused")
    expect(signals.at(-1)!.aborted).toBe(true)
    const asked = fake.requests.length
    fake.append(bytes("b"))
    await settle(30)
    expect(fake.requests).toHaveLength(asked)
    netInfo.set(null) // unknown counts as online
    expect(text(((await next).value as StreamChunk).data)).toBe("b")
    expect(kind(fake, asked)).toBe("catch-up")
    await session.cancel()
  })

  it("uses the page's document and the global online/offline events by default", async () => {
    const page = new FakeDocument()
    const events = new EventTarget()
    vi.stubGlobal("document", page)
    vi.stubGlobal("navigator", { onLine: true })
    vi.stubGlobal("addEventListener", events.addEventListener.bind(events))
    vi.stubGlobal("removeEventListener", events.removeEventListener.bind(events))
    const { fake } = liveStream("browser-defaults")
    const session = new DurableStream({ url: fake.url }).read({ live: "long-poll" })
    const { next } = await tailing(fake, session)
    events.dispatchEvent(new Event("offline"))
    await until(() => session.health.paused === "offline", "the offline pause")
    events.dispatchEvent(new Event("online"))
    page.set("hidden")
    await until(() => session.health.paused === "hidden", "the hidden pause")
    page.set("visible")
    fake.append(bytes("b"))
    expect(text(((await next).value as StreamChunk).data)).toBe("b")
    await session.cancel()
    expect(page.listenerCount).toBe(0)
  })
})

describe("wake from sleep", () => {
  /** A fetch that answers catch-up reads at the tail and holds live ones until they are aborted. */
  function quietServer(): { fetch: typeof globalThis.fetch; requests: Array<{ url: URL; signal: AbortSignal }> } {
    const requests: Array<{ url: URL; signal: AbortSignal }> = []
    const fetch = (async (input: string, init: RequestInit) => {
      const url = new URL(input)
      const signal = init.signal!
      requests.push({ url, signal })
      if (!url.searchParams.has("live")) {
        return new Response(null, {
          headers: { "content-type": "text/plain", "stream-next-offset": "0001", "stream-up-to-date": "true" },
        })
      }
      return new Promise<Response>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)))
    }) as typeof globalThis.fetch
    return { fetch, requests }
  }

  const kinds = (requests: Array<{ url: URL }>): string[] =>
    requests.map((request) => request.url.searchParams.get("live") ?? "catch-up")

  it("a gap in timer ticks far longer than the interval ends the stale request and reconnects at once", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] })
    const { fetch, requests } = quietServer()
    const session = new DurableStream({ url: streamUrl("wake"), fetch, contentType: "text/plain" }).read({
      live: "long-poll",
      offset: "0001",
    })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    void iterator.next()
    await until(() => requests.length === 2, "the long-poll")

    // Awake: the checks come on time, and nothing happens.
    await vi.advanceTimersByTimeAsync(50_000)
    expect(requests).toHaveLength(2)
    expect(requests[1]!.signal.aborted).toBe(false)

    // Asleep for ten minutes: no timer ran, then the wall clock jumped.
    vi.setSystemTime(Date.now() + 10 * 60_000)
    await vi.advanceTimersByTimeAsync(5_000)
    await until(() => requests.length === 4, "the reconnect")
    expect(requests[1]!.signal.aborted).toBe(true)
    expect(kinds(requests)).toEqual(["catch-up", "long-poll", "catch-up", "long-poll"])
    expect(session.health.reconnects).toBe(1)
    await session.cancel()
  })

  it("a late tick while the page is hidden is throttling, not sleep", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] })
    const { fetch, requests } = quietServer()
    const session = new DurableStream({ url: streamUrl("wake-hidden"), fetch, contentType: "text/plain" }).read({
      live: "long-poll",
      offset: "0001",
      lifecycle: { visibility: new FakeDocument("hidden"), pauseWhenHidden: false },
    })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    void iterator.next()
    await until(() => requests.length === 2, "the long-poll")
    vi.setSystemTime(Date.now() + 50_000)
    await vi.advanceTimersByTimeAsync(5_000)
    await settle(20)
    expect(requests).toHaveLength(2)
    expect(requests[1]!.signal.aborted).toBe(false)
    await session.cancel()
  })

  it("leaves no timer behind once the session ends", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] })
    const { fetch, requests } = quietServer()
    const session = new DurableStream({ url: streamUrl("wake-cleanup"), fetch, contentType: "text/plain" }).read({
      live: "long-poll",
      offset: "0001",
    })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    void iterator.next()
    await until(() => requests.length === 2, "the long-poll")
    expect(vi.getTimerCount()).toBeGreaterThan(0)
    await session.cancel()
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe("health", () => {
  it("reports transport, up-to-date, answers, reconnects and the last error, with a snapshot per change", async () => {
    let failNextPoll = true
    const fake = new FakeStream(streamUrl("health"), { contentType: "text/plain" })
    fake.append(bytes("abc"))
    server.use(
      http.get(fake.url, ({ request }) => {
        if (!failNextPoll || new URL(request.url).searchParams.get("live") !== "long-poll") return undefined
        failNextPoll = false
        return new HttpResponse(null, { status: 503 })
      }),
      ...fake.handlers()
    )
    const session = new DurableStream({ url: fake.url, retry: FAST_RETRY }).read({ live: "long-poll" })
    expect(session.health).toEqual({
      status: "connecting",
      transport: undefined,
      paused: undefined,
      upToDate: false,
      lastResponseAt: undefined,
      reconnects: 0,
      lastError: undefined,
    })
    const seen = [session.health]
    session.onHealthChange((health) => seen.push(health))
    // Listeners that throw are the app's bug: they never break the read, and
    // their errors reach the app as uncaught CALLBACK_FAILED errors.
    const reported: unknown[] = []
    const global = globalThis as { reportError?: (error: unknown) => void }
    const previous = global.reportError
    global.reportError = (error) => void reported.push(error)
    onTestFinished(() => {
      global.reportError = previous
    })
    session.onHealthChange(() => {
      throw new Error("health listener bug")
    })
    session.onStatusChange(() => {
      throw new Error("status listener bug")
    })

    const iterator = session[Symbol.asyncIterator]()
    const before = Date.now()
    await take(iterator, 1)
    expect(session.health).toMatchObject({ transport: "catch-up", upToDate: true, reconnects: 0 })
    expect(session.health.lastResponseAt).toBeGreaterThanOrEqual(before)

    const next = iterator.next()
    await until(() => fake.requestsOf("long-poll").length === 1, "the long-poll after the failed one")
    fake.append(bytes("d"))
    expect(text(((await next).value as StreamChunk).data)).toBe("d")
    expect(session.health).toMatchObject({ status: "live", transport: "long-poll", reconnects: 1 })
    expect(session.health.lastError).toMatchObject({ code: "UNEXPECTED_STATUS", status: 503 })

    const statuses = seen.map((health) => health.status).filter((s, i, all) => s !== all[i - 1])
    expect(statuses).toEqual<SessionStatus[]>(["connecting", "catching-up", "live", "backoff", "live"])
    // A new snapshot on every change, the same one while nothing changes; all frozen.
    expect(new Set(seen).size).toBe(seen.length)
    expect(session.health).toBe(seen.at(-1))
    expect(seen.every((health) => Object.isFrozen(health))).toBe(true)
    await session.cancel()
    expect(session.health.status).toBe("closed")
    expect(reported.length).toBeGreaterThan(0)
    expect(reported.every((error) => (error as { code?: string }).code === "CALLBACK_FAILED")).toBe(true)
  })

  it("records the error that ended the session", async () => {
    const url = streamUrl("health-error")
    server.use(http.get(url, () => new HttpResponse(null, { status: 404 })))
    const session = new DurableStream({ url }).read({ live: "auto" })
    await expect(session.bytes()).rejects.toMatchObject({ code: "NOT_FOUND" })
    expect(session.health).toMatchObject({ status: "error", lastError: { code: "NOT_FOUND" } })
  })
})
