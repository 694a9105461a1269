import { http, HttpResponse } from "msw"
import { describe, expect, it } from "vitest"
import { DurableStream, type ReadSession, type StreamChunk } from "../../src/index"
import {
  failure,
  ControlledBody,
  FAST_RETRY,
  SSE_HEADERS,
  controlEvent,
  dataEvent,
  drain,
  queryKeys,
  record,
  scripted,
  settle,
  sseEvent,
  sseResponse,
  streamUrl,
  take,
  text,
  until,
  useMswServer,
  type Answer,
  type SeenRequest,
} from "./support/msw"

const server = useMswServer()


const param = (request: SeenRequest, name: string): string | null => request.url.searchParams.get(name)

/** An SSE connection delivering `chunks`; closed afterwards unless `close: false`. */
function connection(chunks: string[], options: { close?: boolean; headers?: Record<string, string>; errorAfter?: Error } = {}): Answer {
  return (request) => sseResponse(request, chunks, options)
}

/** Where the catch-up read that starts every live session finds the tail. */
const TAIL = "0000"

/**
 * A stream read by SSE: catch-up GETs (every live session starts with one)
 * find an empty stream whose tail is `TAIL`; SSE requests get `answers` in
 * order. `log` holds the SSE requests, `catchUps` the others.
 */
function sseStream(
  url: string,
  answers: Answer[],
  contentType = "text/plain"
): { log: SeenRequest[]; catchUps: SeenRequest[]; stream: DurableStream } {
  const log: SeenRequest[] = []
  const catchUps: SeenRequest[] = []
  const sse = scripted(answers, log)
  server.use(
    http.get(url, async (info) => {
      if (new URL(info.request.url).searchParams.has("live")) return sse(info)
      await record(catchUps, info.request)
      return caughtUp(contentType)
    })
  )
  return { log, catchUps, stream: new DurableStream({ url, contentType, retry: FAST_RETRY }) }
}

/** The catch-up answer at the tail of an empty stream. */
function caughtUp(contentType: string): Response {
  return new HttpResponse(null, {
    headers: { "content-type": contentType, "Stream-Next-Offset": TAIL, "Stream-Up-To-Date": "true" },
  })
}

/** The chunks of a session after the empty one its catch-up read ends with. */
async function drainLive(session: ReadSession): Promise<StreamChunk[]> {
  const [caught, ...rest] = await drain(session)
  expect(caught).toMatchObject({ offset: TAIL, upToDate: true, closed: false })
  expect(caught!.data).toHaveLength(0)
  return rest
}

describe("SSE reads", () => {
  it("delivers data together with its control event, offset and cursor from the control", async () => {
    const url = streamUrl("sse-basic")
    const { log, catchUps, stream } = sseStream(url, [
      connection([
        dataEvent("hello"),
        dataEvent(" world"),
        controlEvent({ streamNextOffset: "0000000011", streamCursor: "c1", upToDate: true }),
        dataEvent("!"),
        controlEvent({ streamNextOffset: "0000000012", streamClosed: true }),
      ]),
    ])
    const session = stream.read({ live: "sse" })
    const chunks = await drainLive(session)
    expect(chunks.map((c) => [text(c.data), c.offset, c.upToDate, c.closed, c.cursor])).toEqual([
      ["hello world", "0000000011", true, false, "c1"],
      ["!", "0000000012", true, true, "c1"],
    ])
    // A plain catch-up GET first, then SSE from the tail it found.
    expect(catchUps.map((r) => queryKeys(r.url))).toEqual([["offset"]])
    expect(param(catchUps[0]!, "offset")).toBe("-1")
    expect(log).toHaveLength(1)
    expect(queryKeys(log[0]!.url)).toEqual(["live", "offset"])
    expect(param(log[0]!, "live")).toBe("sse")
    expect(param(log[0]!, "offset")).toBe(TAIL)
    expect(session.closed).toBe(true)
    expect(session.liveTransport).toBe("sse")
  })

  it("holds data events until their control event arrives", async () => {
    const url = streamUrl("sse-hold")
    let body: ControlledBody | undefined
    sseStream(url, [
      (request) => {
        body = new ControlledBody(request.signal)
        return new HttpResponse(body.stream, { headers: SSE_HEADERS })
      },
    ])
    const session = new DurableStream({ url, contentType: "text/plain" }).read({ live: "sse" })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1) // the catch-up read: up to date at the tail
    let resolved = false
    const next = iterator.next().then((result) => {
      resolved = true
      return result
    })
    await until(() => body !== undefined, "the SSE request")
    body!.push(dataEvent("pending"))
    await settle(20)
    expect(resolved).toBe(false)
    expect(session.offset).toBe(TAIL)
    body!.push(controlEvent({ streamNextOffset: "0007", streamCursor: "c", upToDate: true }))
    const result = await next
    expect(text(result.value!.data)).toBe("pending")
    expect(session.offset).toBe("0007")
    expect(session.status).toBe("live")
    await session.cancel()
    await body!.finished
  })

  it("drops data after the last control when the connection ends and resumes from that control", async () => {
    const url = streamUrl("sse-resume")
    const { log, stream } = sseStream(url, [
      connection([
        dataEvent("a"),
        controlEvent({ streamNextOffset: "0001", streamCursor: "cur-1", upToDate: true }),
        dataEvent("b-never-confirmed"),
      ]),
      connection([dataEvent("b"), controlEvent({ streamNextOffset: "0002", streamCursor: "cur-2", streamClosed: true })]),
    ])
    const session = stream.read({ live: "sse" })
    const chunks = await drainLive(session)
    expect(chunks.map((c) => text(c.data))).toEqual(["a", "b"])
    expect(log).toHaveLength(2)
    expect(queryKeys(log[1]!.url)).toEqual(["cursor", "live", "offset"])
    expect([param(log[1]!, "offset"), param(log[1]!, "cursor"), param(log[1]!, "live")]).toEqual([
      "0001",
      "cur-1",
      "sse",
    ])
  })

  it("drops a half-received event when the connection is cut mid-event", async () => {
    const url = streamUrl("sse-cut")
    const { log, stream } = sseStream(url, [
      connection(
        [
          dataEvent("a"),
          controlEvent({ streamNextOffset: "0001", streamCursor: "c1", upToDate: true }),
          "event: data\ndata: b-partial",
        ],
        { errorAfter: new Error("socket hang up") }
      ),
      connection([dataEvent("b"), controlEvent({ streamNextOffset: "0002", streamClosed: true })]),
    ])
    const chunks = await drainLive(stream.read({ live: "sse" }))
    expect(chunks.map((c) => text(c.data)).join("|")).toBe("a|b")
    expect(param(log[1]!, "offset")).toBe("0001")
  })

  it("does not reconnect after streamClosed, and releases the connection", async () => {
    const url = streamUrl("sse-closed")
    // A plain fetch double (msw tees bodies, which hides the client's cancel from the source).
    const bodies: ControlledBody[] = []
    const fetch = async (input: string, init: RequestInit): Promise<Response> => {
      if (!new URL(input).searchParams.has("live")) return caughtUp("text/plain")
      const body = new ControlledBody(init.signal ?? undefined)
      bodies.push(body)
      body.push(dataEvent("last words"))
      body.push(controlEvent({ streamNextOffset: "0010", streamClosed: true }))
      // The server keeps the connection open: the client must still stop.
      return new Response(body.stream, { headers: SSE_HEADERS })
    }
    const session = new DurableStream({ url, fetch, contentType: "text/plain" }).read({ live: "sse" })
    const chunks = await drainLive(session)
    expect(chunks.map((c) => [text(c.data), c.closed])).toEqual([["last words", true]])
    expect(session.closed).toBe(true)
    await bodies[0]!.finished
    expect(bodies[0]!.wasCancelled).toBe(true)
    await settle(20)
    expect(bodies).toHaveLength(1)
  })

  it("ignores unknown event types, events without a type and comments", async () => {
    const url = streamUrl("sse-unknown")
    const { stream } = sseStream(url, [
      connection([
        ": keep-alive\n\n",
        dataEvent("a"),
        sseEvent("mystery", "not stream data"),
        "data: untyped\n\n",
        ": another comment\n",
        dataEvent("b"),
        controlEvent({ streamNextOffset: "0002", streamClosed: true, someExtension: { x: 1 } }),
      ]),
    ])
    const chunks = await drainLive(stream.read({ live: "sse" }))
    expect(chunks.map((c) => text(c.data))).toEqual(["ab"])
  })

  it("joins multi-line text data with \\n", async () => {
    const url = streamUrl("sse-multiline")
    const { stream } = sseStream(url, [
      connection([dataEvent("line 1\nline 2\n"), controlEvent({ streamNextOffset: "1", streamClosed: true })]),
    ])
    expect(await stream.read({ live: "sse" }).text()).toBe("line 1\nline 2\n")
  })

  for (const [name, payload] of [
    ["malformed JSON", "{not json"],
    ["no streamNextOffset", JSON.stringify({ streamCursor: "c", upToDate: true })],
    ["a non-string streamNextOffset", JSON.stringify({ streamNextOffset: 12 })],
    ["an empty streamNextOffset", JSON.stringify({ streamNextOffset: "" })],
    ["a JSON array", "[1,2]"],
    ["JSON null", "null"],
  ] as const) {
    it(`fails with PARSE_ERROR on a control event with ${name}`, async () => {
      const url = streamUrl("sse-bad-control")
      const { log, stream } = sseStream(url, [
        connection([dataEvent("x"), sseEvent("control", payload)]),
        connection([dataEvent("x"), controlEvent({ streamNextOffset: "1", streamClosed: true })]),
      ])
      const session = stream.read({ live: "sse" })
      const error = await failure(drain(session))
      expect(error.code).toBe("PARSE_ERROR")
      expect(error.message).toContain(url)
      expect(log).toHaveLength(1)
      expect(session.status).toBe("error")
    })
  }

  it("reconnects after a clean end without streamClosed, even repeatedly (no fallback outside auto)", async () => {
    const url = streamUrl("sse-reconnects")
    const answers: Answer[] = []
    for (let i = 0; i < 5; i++) {
      answers.push(connection([dataEvent(String(i)), controlEvent({ streamNextOffset: `000${i + 1}`, streamCursor: `c${i}`, upToDate: true })]))
    }
    answers.push(connection([controlEvent({ streamNextOffset: "0005", streamClosed: true })]))
    const { log, stream } = sseStream(url, answers)
    const session = stream.read({ live: "sse" })
    const chunks = await drainLive(session)
    expect(chunks.map((c) => text(c.data)).join("")).toBe("01234")
    expect(log.map((r) => param(r, "live"))).toEqual(Array(6).fill("sse"))
    expect(log.map((r) => param(r, "offset"))).toEqual([TAIL, "0001", "0002", "0003", "0004", "0005"])
    expect(session.liveTransport).toBe("sse")
  })
})

describe("SSE base64 data", () => {
  const binary = Uint8Array.of(0, 1, 2, 250, 251, 252, 253, 254, 255, 10, 13, 0x80)
  const encoded = Buffer.from(binary).toString("base64")

  it("decodes base64 data events when the server says so", async () => {
    const url = streamUrl("sse-base64")
    const first = Buffer.from(binary.subarray(0, 4)).toString("base64")
    const second = Buffer.from(binary.subarray(4)).toString("base64")
    const { stream } = sseStream(
      url,
      [
        connection(
          [dataEvent(first), dataEvent(second), controlEvent({ streamNextOffset: "0012", streamClosed: true })],
          { headers: { "stream-sse-data-encoding": "base64" } }
        ),
      ],
      "application/octet-stream"
    )
    expect(await stream.read({ live: "sse" }).bytes()).toEqual(binary)
  })

  it("decodes base64 spread over several data lines", async () => {
    const url = streamUrl("sse-base64-multiline")
    const lines = encoded.match(/.{1,4}/g)!.join("\n")
    const { stream } = sseStream(
      url,
      [
        connection([dataEvent(lines), controlEvent({ streamNextOffset: "0012", streamClosed: true })], {
          headers: { "Stream-SSE-Data-Encoding": "base64" },
        }),
      ],
      "text/plain" // the header decides, not the content type
    )
    expect(await stream.read({ live: "sse" }).bytes()).toEqual(binary)
  })

  it("decodes an empty base64 data event to zero bytes", async () => {
    const url = streamUrl("sse-base64-empty")
    const { stream } = sseStream(
      url,
      [
        connection(["event: data\ndata:\n\n", dataEvent(encoded), controlEvent({ streamNextOffset: "1", streamClosed: true })], {
          headers: { "Stream-SSE-Data-Encoding": "base64" },
        }),
      ],
      "application/octet-stream"
    )
    expect(await stream.read({ live: "sse" }).bytes()).toEqual(binary)
  })

  it("fails with PARSE_ERROR on invalid base64", async () => {
    const url = streamUrl("sse-base64-invalid")
    const { log, stream } = sseStream(
      url,
      [
        connection([dataEvent("not*base64"), controlEvent({ streamNextOffset: "1", streamClosed: true })], {
          headers: { "Stream-SSE-Data-Encoding": "base64" },
        }),
      ],
      "application/octet-stream"
    )
    const error = await failure(stream.read({ live: "sse" }).bytes())
    expect(error.code).toBe("PARSE_ERROR")
    expect(log).toHaveLength(1)
  })

  it("infers base64 from the content type of the catch-up response when the header is hidden, with no HEAD", async () => {
    const url = streamUrl("sse-base64-inferred")
    const heads: SeenRequest[] = []
    const gets: SeenRequest[] = []
    server.use(
      http.head(url, async ({ request }) => {
        await record(heads, request)
        return new HttpResponse(null, {
          headers: { "content-type": "application/octet-stream", "stream-next-offset": "0" },
        })
      }),
      http.get(
        url,
        scripted(
          [
            () => caughtUp("application/octet-stream"),
            connection([dataEvent(encoded), controlEvent({ streamNextOffset: "1", streamClosed: true })]),
          ],
          gets
        )
      )
    )
    // The handle does not know the content type; an uncacheable HEAD per reader would defeat a CDN.
    const session = new DurableStream({ url }).read({ live: "sse" })
    expect(await session.bytes()).toEqual(binary)
    expect(heads).toHaveLength(0)
    expect(gets.map((r) => param(r, "live"))).toEqual([null, "sse"])
    expect(session.contentType).toBe("application/octet-stream")
  })

  it("passes text through unchanged for text streams without the header", async () => {
    const url = streamUrl("sse-text-not-base64")
    const { stream } = sseStream(url, [
      connection([dataEvent("QUJD"), controlEvent({ streamNextOffset: "1", streamClosed: true })]),
    ])
    expect(await stream.read({ live: "sse" }).text()).toBe("QUJD")
  })
})

describe("SSE on JSON streams", () => {
  it("merges several data events before one control into one JSON array chunk", async () => {
    const url = streamUrl("sse-json")
    const { stream } = sseStream(
      url,
      [
        connection([
          dataEvent("[1,2]"),
          dataEvent('[{"a":3}]'),
          dataEvent("[]"),
          dataEvent('[\n  "multi",\n  "line"\n]'),
          controlEvent({ streamNextOffset: "0004", streamCursor: "c", upToDate: true }),
          dataEvent('[{"b":[5]}]'),
          controlEvent({ streamNextOffset: "0005", streamClosed: true }),
        ]),
      ],
      "application/json"
    )
    const chunks = await drainLive(stream.read({ live: "sse" }))
    expect(chunks.map((c) => JSON.parse(text(c.data)))).toEqual([
      [1, 2, { a: 3 }, "multi", "line"],
      [{ b: [5] }],
    ])
  })
})

describe("SSE errors", () => {
  it("retries a failed SSE request (503) and continues from the same offset", async () => {
    const url = streamUrl("sse-503")
    const { log, stream } = sseStream(url, [
      connection([dataEvent("a"), controlEvent({ streamNextOffset: "0001", streamCursor: "c1", upToDate: true })]),
      () => new HttpResponse(null, { status: 503 }),
      connection([dataEvent("b"), controlEvent({ streamNextOffset: "0002", streamClosed: true })]),
    ])
    const chunks = await drainLive(stream.read({ live: "sse" }))
    expect(chunks.map((c) => text(c.data)).join("")).toBe("ab")
    expect(log.map((r) => param(r, "offset"))).toEqual([TAIL, "0001", "0001"])
  })

  it("fails with NOT_FOUND when the stream disappears between connections", async () => {
    const url = streamUrl("sse-404")
    const { stream } = sseStream(url, [
      connection([dataEvent("a"), controlEvent({ streamNextOffset: "0001", upToDate: true })]),
      () => new HttpResponse(null, { status: 404 }),
    ])
    const session = stream.read({ live: "sse" })
    const iterator = session[Symbol.asyncIterator]()
    expect(text((await take(iterator, 2))[1]!.data)).toBe("a")
    const error = await failure(iterator.next())
    expect(error.code).toBe("NOT_FOUND")
    expect(error.offset).toBe("0001")
    expect(session.offset).toBe("0001")
  })
})
