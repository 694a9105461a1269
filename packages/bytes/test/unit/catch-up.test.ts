import { http, HttpResponse } from "msw"
import { describe, expect, it } from "vitest"
import { DurableStream } from "../../src/index"
import {
  failure,
  FAST_RETRY,
  bytes,
  drain,
  readHeaders,
  record,
  streamUrl,
  streamingResponse,
  text,
  useMswServer,
  type SeenRequest,
} from "./support/msw"

const server = useMswServer()


interface Page {
  body: string
  offset?: string
  upToDate?: boolean
  closed?: boolean
  cursor?: string
  status?: number
}

/** GET handler serving `pages` by the requested offset ("-1" is the first page). */
function pagedStream(url: string, pages: Record<string, Page>, contentType = "text/plain"): SeenRequest[] {
  const log: SeenRequest[] = []
  server.use(
    http.get(url, async ({ request }) => {
      const seen = await record(log, request)
      const page = pages[seen.url.searchParams.get("offset") ?? "-1"]
      if (!page) return new HttpResponse("no such offset", { status: 400 })
      return new HttpResponse(page.body, {
        status: page.status ?? 200,
        headers: readHeaders({ ...page, contentType }),
      })
    })
  )
  return log
}

describe("catch-up reads", () => {
  it("keeps requesting until Stream-Up-To-Date, then stops (live: false)", async () => {
    const url = streamUrl("catch-up-loop")
    const log = pagedStream(url, {
      "-1": { body: "abc", offset: "0000000003" },
      "0000000003": { body: "def", offset: "0000000006" },
      "0000000006": { body: "gh", offset: "0000000008", upToDate: true },
    })
    const session = new DurableStream({ url }).read()
    const chunks = await drain(session)
    expect(chunks.map((c) => [text(c.data), c.offset, c.upToDate, c.closed])).toEqual([
      ["abc", "0000000003", false, false],
      ["def", "0000000006", false, false],
      ["gh", "0000000008", true, false],
    ])
    expect(log.map((r) => r.url.searchParams.get("offset"))).toEqual(["-1", "0000000003", "0000000006"])
    for (const request of log) expect(request.url.searchParams.has("live")).toBe(false)
    expect(session.offset).toBe("0000000008")
    expect(session.upToDate).toBe(true)
    expect(session.closed).toBe(false)
    expect(session.contentType).toBe("text/plain")
  })

  it("text() and bytes() return everything up to date", async () => {
    const url = streamUrl("catch-up-text")
    pagedStream(url, {
      "-1": { body: "héllo ", offset: "1" },
      "1": { body: "wörld", offset: "2", upToDate: true },
    })
    const stream = new DurableStream({ url })
    expect(await stream.read().text()).toBe("héllo wörld")
    expect(await stream.read().bytes()).toEqual(bytes("héllo wörld"))
  })

  it("ends at Stream-Closed: true (EOF) even in a live mode", async () => {
    const url = streamUrl("catch-up-eof")
    const log = pagedStream(url, {
      "-1": { body: "abc", offset: "3" },
      "3": { body: "", offset: "3", upToDate: true, closed: true },
    })
    const session = new DurableStream({ url }).read({ live: "long-poll", longPollTimeoutMs: 5000 })
    const chunks = await drain(session)
    expect(chunks.at(-1)!.closed).toBe(true)
    expect(session.closed).toBe(true)
    expect(session.status).toBe("closed")
    expect(log).toHaveLength(2)
  })

  it("treats up-to-date as 'for now' in live reads: it keeps reading", async () => {
    const url = streamUrl("catch-up-then-live")
    const log = pagedStream(url, {
      "-1": { body: "abc", offset: "3", upToDate: true, cursor: "c1" },
      "3": { body: "more", offset: "7", upToDate: true, cursor: "c2" },
      "7": { body: "", offset: "7", upToDate: true, closed: true },
    })
    const session = new DurableStream({ url }).read({ live: "long-poll" })
    const chunks = await drain(session)
    expect(chunks.map((c) => text(c.data)).join("")).toBe("abcmore")
    // Catch-up first (a plain GET), then long-polls from where it left off.
    expect(log.map((r) => r.url.searchParams.get("live"))).toEqual([null, "long-poll", "long-poll"])
  })

  it("starts from a saved offset, sent URL-encoded", async () => {
    const url = streamUrl("catch-up-saved-offset")
    const saved = "a+b c%d"
    const log = pagedStream(url, { [saved]: { body: "tail", offset: "zz", upToDate: true } })
    expect(await new DurableStream({ url }).read({ offset: saved }).text()).toBe("tail")
    expect(log[0]!.url.search).toBe("?offset=a%2Bb%20c%25d")
  })

  it("passes offset=now through and delivers the up-to-date tail", async () => {
    const url = streamUrl("catch-up-now")
    const log = pagedStream(url, { now: { body: "", offset: "0000000050", upToDate: true } })
    const session = new DurableStream({ url }).read({ offset: "now" })
    const chunks = await drain(session)
    expect(chunks).toHaveLength(1)
    expect(chunks[0]!.data).toHaveLength(0)
    expect(chunks[0]!.upToDate).toBe(true)
    expect(session.offset).toBe("0000000050")
    expect(log).toHaveLength(1)
  })

  it("fails with PARSE_ERROR when Stream-Next-Offset is missing (not retried)", async () => {
    const url = streamUrl("catch-up-no-offset")
    const log = pagedStream(url, { "-1": { body: "abc", upToDate: true } })
    const error = await failure(new DurableStream({ url, retry: FAST_RETRY }).read().bytes())
    expect(error.code).toBe("PARSE_ERROR")
    expect(error.message).toContain(url)
    expect(log).toHaveLength(1)
  })

  it("retries a body cut mid-way and delivers its bytes exactly once", async () => {
    const url = streamUrl("catch-up-cut")
    const log: SeenRequest[] = []
    server.use(
      http.get(url, async ({ request }) => {
        await record(log, request)
        const headers = readHeaders({ offset: "0000000006", upToDate: true, contentType: "text/plain" })
        if (log.length === 1) {
          return streamingResponse(request, ["abc"], { errorAfter: new Error("connection reset"), headers })
        }
        return streamingResponse(request, ["abc", "def"], { headers })
      })
    )
    const session = new DurableStream({ url, retry: FAST_RETRY }).read()
    const chunks = await drain(session)
    expect(chunks.map((c) => text(c.data))).toEqual(["abcdef"])
    expect(log.map((r) => r.url.searchParams.get("offset"))).toEqual(["-1", "-1"])
    expect(session.offset).toBe("0000000006")
  })

  it("retries a 500 and then succeeds", async () => {
    const url = streamUrl("catch-up-500")
    let calls = 0
    server.use(
      http.get(url, () => {
        calls++
        if (calls === 1) return new HttpResponse("oops", { status: 500 })
        return new HttpResponse("ok", { headers: readHeaders({ offset: "2", upToDate: true }) })
      })
    )
    expect(await new DurableStream({ url, retry: FAST_RETRY }).read().text()).toBe("ok")
    expect(calls).toBe(2)
  })

  it("retries network errors", async () => {
    const url = streamUrl("catch-up-network")
    let calls = 0
    server.use(
      http.get(url, () => {
        calls++
        if (calls <= 2) return HttpResponse.error()
        return new HttpResponse("ok", { headers: readHeaders({ offset: "2", upToDate: true }) })
      })
    )
    expect(await new DurableStream({ url, retry: FAST_RETRY }).read().text()).toBe("ok")
    expect(calls).toBe(3)
  })

  it("does not retry 501 (not implemented will not change)", async () => {
    const url = streamUrl("catch-up-501")
    let calls = 0
    server.use(
      http.get(url, () => {
        calls++
        return new HttpResponse(null, { status: 501 })
      })
    )
    const error = await failure(new DurableStream({ url, retry: FAST_RETRY }).read().bytes())
    expect(error.status).toBe(501)
    expect(error.code).toBe("UNEXPECTED_STATUS")
    expect(calls).toBe(1)
  })

  for (const [status, code] of [
    [400, "INVALID_OFFSET"],
    [401, "UNAUTHORIZED"],
    [403, "FORBIDDEN"],
    [404, "NOT_FOUND"],
    [409, "CONFLICT"],
    [410, "GONE"],
    [413, "PAYLOAD_TOO_LARGE"],
  ] as const) {
    it(`fails on ${status} with ${code} after exactly one request, naming URL and offset`, async () => {
      const url = streamUrl(`catch-up-${status}`)
      let calls = 0
      server.use(
        http.get(url, () => {
          calls++
          return new HttpResponse(null, { status })
        })
      )
      const session = new DurableStream({ url, retry: FAST_RETRY }).read({ offset: "0000000042" })
      const error = await failure(session.bytes())
      expect(error.code).toBe(code)
      expect(error.status).toBe(status)
      expect(error.operation).toBe("read")
      expect(error.offset).toBe("0000000042")
      expect(error.message).toContain(url)
      expect(calls).toBe(1)
      expect(session.status).toBe("error")
    })
  }
})

describe("runtimes without streaming response bodies", () => {
  /** A Response-like object as React Native's fetch returns: no body stream, arrayBuffer() works. */
  function bufferedResponse(
    body: string,
    init: { status?: number; headers: Record<string, string> },
    bodyValue: null | undefined
  ): Response {
    const data = bytes(body)
    const fake = {
      status: init.status ?? 200,
      statusText: "",
      ok: (init.status ?? 200) < 300,
      headers: new Headers(init.headers),
      body: bodyValue,
      bodyUsed: false,
      arrayBuffer: async () => data.slice().buffer,
      text: async () => body,
    }
    return fake as unknown as Response
  }

  for (const bodyValue of [null, undefined]) {
    it(`reads catch-up responses whose body is ${String(bodyValue)}`, async () => {
      const url = streamUrl("buffered")
      const offsets: string[] = []
      const pages: Record<string, [string, Record<string, string>]> = {
        "-1": ["abc", readHeaders({ offset: "3" })],
        "3": ["def", readHeaders({ offset: "6", upToDate: true })],
      }
      const fetch = async (input: string): Promise<Response> => {
        const offset = new URL(input).searchParams.get("offset")!
        offsets.push(offset)
        const [body, headers] = pages[offset]!
        return bufferedResponse(body, { headers }, bodyValue)
      }
      const session = new DurableStream({ url, fetch }).read()
      expect(new TextDecoder().decode(await session.bytes())).toBe("abcdef")
      expect(offsets).toEqual(["-1", "3"])
      expect(session.offset).toBe("6")
    })

    it(`reports error statuses from body-less (${String(bodyValue)}) responses`, async () => {
      const url = streamUrl("buffered-404")
      const fetch = async (): Promise<Response> =>
        bufferedResponse("gone away", { status: 404, headers: {} }, bodyValue)
      const error = await failure(new DurableStream({ url, fetch }).read().bytes())
      expect(error.code).toBe("NOT_FOUND")
      expect(error.message).toContain("gone away")
    })
  }
})
