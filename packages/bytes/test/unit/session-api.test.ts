import { http, HttpResponse } from "msw"
import { describe, expect, it } from "vitest"
import { DurableStream, type SessionStatus, type StreamChunk } from "../../src/index"
import { FakeStream, offsetOf } from "./support/fake-stream"
import {
  failure,
  FAST_RETRY,
  bytes,
  controlEvent,
  dataEvent,
  noContent,
  rejectionOf,
  reply,
  scripted,
  settle,
  sseResponse,
  streamUrl,
  take,
  text,
  until,
  useMswServer,
  type SeenRequest,
} from "./support/msw"

const server = useMswServer()


/** A fake stream holding `pieces`, served one piece per catch-up response. */
function pagedFake(name: string, pieces: string[], options: { closed?: boolean } = {}): FakeStream {
  const sizes = pieces.map((p) => bytes(p).length)
  let served = 0
  const fake = new FakeStream(streamUrl(name), {
    contentType: "text/plain",
    maxBytes: () => sizes[served++ % sizes.length] ?? 1,
  })
  for (const piece of pieces) fake.append(bytes(piece))
  if (options.closed) fake.close()
  server.use(...fake.handlers())
  return fake
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void
  const promise = new Promise<void>((r) => {
    resolve = r
  })
  return { promise, resolve }
}

describe("pull-based reading and the offset checkpoint", () => {
  it("requests nothing until consumed, and one response per chunk pulled", async () => {
    const fake = pagedFake("api-pull", ["aa", "bb", "cc"])
    const session = new DurableStream({ url: fake.url }).read()
    await settle(20)
    expect(fake.requests).toHaveLength(0)
    expect(session.status).toBe("connecting")
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    await settle(20)
    expect(fake.requests).toHaveLength(1)
    await take(iterator, 1)
    await settle(20)
    expect(fake.requests).toHaveLength(2)
    await session.cancel()
  })

  it("advances offset only as the iterator hands chunks over", async () => {
    const fake = pagedFake("api-offset-iter", ["aa", "bb", "cc"])
    const session = new DurableStream({ url: fake.url }).read()
    expect(session.offset).toBe("-1")
    const iterator = session[Symbol.asyncIterator]()
    const seen: Array<[string, string]> = []
    for (;;) {
      const before = session.offset
      const result = await iterator.next()
      if (result.done) break
      expect(session.offset).toBe(result.value.offset)
      seen.push([before, result.value.offset])
    }
    expect(seen).toEqual([
      ["-1", offsetOf(2)],
      [offsetOf(2), offsetOf(4)],
      [offsetOf(4), offsetOf(6)],
    ])
    expect(session.upToDate).toBe(true)
  })

  it("forEach advances offset only after an async handler finished", async () => {
    const fake = pagedFake("api-offset-subscribe", ["aa", "bb"])
    const session = new DurableStream({ url: fake.url }).read()
    const observed: Array<{ during: string; data: string }> = []
    const gate = deferred()
    let handlerRunning = false
    const done = session.forEach(async (chunk) => {
      handlerRunning = true
      observed.push({ during: session.offset, data: text(chunk.data) })
      if (observed.length === 1) await gate.promise
      handlerRunning = false
    })
    await until(() => handlerRunning, "the first handler call")
    await settle(20)
    expect(session.offset).toBe("-1") // the first chunk is not handled yet
    gate.resolve()
    await done
    expect(observed).toEqual([
      { during: "-1", data: "aa" },
      { during: offsetOf(2), data: "bb" },
    ])
    expect(session.offset).toBe(offsetOf(4))
    expect(session.status).toBe("closed")
  })

  it("forEach applies backpressure: no request while the handler is busy", async () => {
    const fake = pagedFake("api-backpressure", ["a", "b", "c"])
    const session = new DurableStream({ url: fake.url }).read()
    const gates = [deferred(), deferred(), deferred()]
    let calls = 0
    const done = session.forEach(async () => {
      await gates[calls++]!.promise
    })
    for (let i = 0; i < 3; i++) {
      await until(() => calls === i + 1, `handler call ${i + 1}`)
      await settle(20)
      expect(fake.requests).toHaveLength(i + 1)
      gates[i]!.resolve()
    }
    await done
    expect(fake.requests).toHaveLength(3)
  })

  it("forEach rejects with the handler's error and stops reading", async () => {
    const fake = pagedFake("api-handler-error", ["a", "b", "c"])
    const session = new DurableStream({ url: fake.url }).read()
    const boom = new Error("handler failed")
    const error = await rejectionOf(
      session.forEach((chunk) => {
        if (text(chunk.data) === "b") throw boom
      })
    )
    expect(error).toBe(boom)
    expect(session.offset).toBe(offsetOf(1)) // "b" was not handled
    await settle(20)
    expect(fake.requests).toHaveLength(2)
    expect(session.status).toBe("error")
  })

  it("subscribe(handler), the deprecated alias, still consumes like forEach", async () => {
    const fake = pagedFake("api-subscribe-alias", ["aa", "bb"])
    const session = new DurableStream({ url: fake.url }).read()
    const seen: string[] = []
    await session.subscribe((chunk) => void seen.push(text(chunk.data)))
    expect(seen).toEqual(["aa", "bb"])
    expect(session.offset).toBe(offsetOf(4))
  })
})

describe("one consumer per session", () => {
  it("refuses a second consumer with INVALID_ARGUMENT", async () => {
    const fake = pagedFake("api-two-consumers", ["a"])
    const session = new DurableStream({ url: fake.url }).read()
    const iterator = session[Symbol.asyncIterator]()
    expect(() => session[Symbol.asyncIterator]()).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }))
    expect((await failure(session.forEach(() => undefined))).code).toBe("INVALID_ARGUMENT")
    expect((await failure(session.bytes())).code).toBe("INVALID_ARGUMENT")
    expect(text((await take(iterator, 1))[0]!.data)).toBe("a")
  })

  it("validates its options", () => {
    const stream = new DurableStream({ url: streamUrl("api-options") })
    expect(() => stream.read({ offset: "" })).toThrowError(expect.objectContaining({ code: "INVALID_ARGUMENT" }))
    expect(() => stream.read({ live: "websocket" as never })).toThrowError(
      expect.objectContaining({ code: "INVALID_ARGUMENT" })
    )
  })
})

describe("status", () => {
  function watch(session: { onStatusChange(listener: (s: SessionStatus) => void): () => void }): SessionStatus[] {
    const statuses: SessionStatus[] = []
    session.onStatusChange((status) => statuses.push(status))
    return statuses
  }

  it("goes catching-up → live → closed for a live read to the end", async () => {
    const url = streamUrl("status-live")
    const log: SeenRequest[] = []
    server.use(
      http.get(
        url,
        scripted(
          [
            reply("a", { offset: "1", cursor: "c" }),
            reply("b", { offset: "2", upToDate: true, cursor: "c" }),
            reply("c", { offset: "3", upToDate: true, cursor: "c" }),
            noContent({ offset: "3", closed: true }),
          ],
          log
        )
      )
    )
    const session = new DurableStream({ url }).read({ live: "long-poll" })
    expect(session.status).toBe("connecting")
    const statuses = watch(session)
    const liveAt: SessionStatus[] = []
    for await (const chunk of session) if (text(chunk.data) === "c") liveAt.push(session.status)
    expect(statuses).toEqual(["catching-up", "live", "closed"])
    expect(liveAt).toEqual(["live"])
  })

  it("reports backoff while retrying", async () => {
    const url = streamUrl("status-backoff")
    const log: SeenRequest[] = []
    server.use(
      http.get(
        url,
        scripted(
          [
            reply("a", { offset: "1", upToDate: true, cursor: "c" }),
            () => new HttpResponse(null, { status: 503 }),
            reply("b", { offset: "2", upToDate: true, cursor: "c" }),
            noContent({ offset: "2", closed: true }),
          ],
          log
        )
      )
    )
    const session = new DurableStream({ url, retry: FAST_RETRY }).read({ live: "long-poll" })
    const statuses = watch(session)
    let all = ""
    for await (const chunk of session) all += text(chunk.data)
    expect(all).toBe("ab")
    expect(statuses).toEqual(["catching-up", "live", "backoff", "live", "closed"])
  })

  it("reports error when the session fails", async () => {
    const url = streamUrl("status-error")
    server.use(http.get(url, () => new HttpResponse(null, { status: 404 })))
    const session = new DurableStream({ url }).read()
    const statuses = watch(session)
    expect((await failure(session.bytes())).code).toBe("NOT_FOUND")
    expect(statuses).toEqual(["catching-up", "error"])
    expect(session.status).toBe("error")
  })

  it("goes live on the answer that says up to date, and stays live over SSE", async () => {
    const url = streamUrl("status-sse")
    const log: SeenRequest[] = []
    server.use(
      http.get(
        url,
        scripted(
          [
            reply("a", { offset: "1", cursor: "c", contentType: "text/plain" }),
            reply("b", { offset: "2", cursor: "c", upToDate: true, contentType: "text/plain" }),
            (request) =>
              sseResponse(request, [dataEvent("c"), controlEvent({ streamNextOffset: "3", streamClosed: true })]),
          ],
          log
        )
      )
    )
    const session = new DurableStream({ url, contentType: "text/plain" }).read({ live: "sse" })
    const statuses = watch(session)
    const perChunk: SessionStatus[] = []
    for await (const chunk of session) {
      expect(chunk.data.length).toBe(1)
      perChunk.push(session.status)
    }
    expect(perChunk).toEqual(["catching-up", "live", "live"])
    expect(statuses).toEqual(["catching-up", "live", "closed"])
  })

  it("stops notifying after unsubscribe", async () => {
    const fake = pagedFake("status-unsubscribe", ["a"])
    const session = new DurableStream({ url: fake.url }).read()
    const statuses: SessionStatus[] = []
    const stop = session.onStatusChange((s) => statuses.push(s))
    stop()
    await session.bytes()
    expect(statuses).toEqual([])
  })
})

describe("ending a session", () => {
  function quietLongPoll(name: string): { fake: FakeStream } {
    const fake = new FakeStream(streamUrl(name), { contentType: "text/plain" })
    fake.append(bytes("first"))
    server.use(...fake.handlers())
    return { fake }
  }

  it("cancel() ends a pending iteration without an error", async () => {
    const { fake } = quietLongPoll("cancel-pending")
    const session = new DurableStream({ url: fake.url }).read({ live: "long-poll" })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    const pending = iterator.next()
    await until(() => fake.requests.length === 2, "the waiting poll")
    await session.cancel()
    expect(await pending).toEqual({ done: true, value: undefined })
    expect(await iterator.next()).toEqual({ done: true, value: undefined })
    expect(session.status).toBe("closed")
    expect(session.offset).toBe(offsetOf(5))
  })

  it("cancel() ends a forEach quietly", async () => {
    const { fake } = quietLongPoll("cancel-subscribe")
    const session = new DurableStream({ url: fake.url }).read({ live: "long-poll" })
    const chunks: StreamChunk[] = []
    const done = session.forEach((chunk) => {
      chunks.push(chunk)
    })
    await until(() => fake.requests.length === 2, "the waiting poll")
    await session.cancel()
    await expect(done).resolves.toBeUndefined()
    expect(chunks.map((c) => text(c.data))).toEqual(["first"])
  })

  it("breaking out of for-await cancels the session", async () => {
    const { fake } = quietLongPoll("cancel-break")
    const session = new DurableStream({ url: fake.url }).read({ live: "long-poll" })
    for await (const chunk of session) {
      expect(text(chunk.data)).toBe("first")
      break
    }
    expect(session.status).toBe("closed")
    await settle(20)
    expect(fake.requests).toHaveLength(1)
  })

  it("an aborted signal fails a pending read with ABORTED", async () => {
    const { fake } = quietLongPoll("abort-pending")
    const controller = new AbortController()
    const session = new DurableStream({ url: fake.url }).read({ live: "long-poll", signal: controller.signal })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    const pending = iterator.next()
    await until(() => fake.requests.length === 2, "the waiting poll")
    controller.abort()
    const error = await failure(pending)
    expect(error.code).toBe("ABORTED")
    expect(error.url).toBe(fake.url)
    expect(session.status).toBe("error")
  })

  it("bytes() rejects with ABORTED when the signal aborts mid-read", async () => {
    const { fake } = quietLongPoll("abort-bytes")
    const controller = new AbortController()
    const done = new DurableStream({ url: fake.url }).read({ live: "long-poll", signal: controller.signal }).bytes()
    await until(() => fake.requests.length === 2, "the waiting poll")
    controller.abort(new Error("user navigated away"))
    expect((await failure(done)).code).toBe("ABORTED")
  })

  it("an already aborted signal fails before any request", async () => {
    const { fake } = quietLongPoll("abort-early")
    const controller = new AbortController()
    controller.abort()
    const session = new DurableStream({ url: fake.url }).read({ signal: controller.signal })
    expect((await failure(session.text())).code).toBe("ABORTED")
    expect(fake.requests).toHaveLength(0)
  })

  it("bytes() of a live read returns everything up to the end of the stream", async () => {
    const fake = new FakeStream(streamUrl("bytes-live"), { contentType: "text/plain" })
    fake.append(bytes("one,"))
    server.use(...fake.handlers())
    const done = new DurableStream({ url: fake.url }).read({ live: "long-poll" }).text()
    await until(() => fake.requests.length === 2, "the waiting poll")
    fake.append(bytes("two"))
    await until(() => fake.requests.length === 3, "the next poll")
    fake.close()
    expect(await done).toBe("one,two")
  })
})
