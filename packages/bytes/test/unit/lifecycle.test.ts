import { http, HttpResponse } from "msw"
import { describe, expect, it } from "vitest"
import { DurableStream } from "../../src/index"
import {
  failure,
  FAST_RETRY,
  readHeaders,
  record,
  streamUrl,
  useMswServer,
  type SeenRequest,
} from "./support/msw"

const server = useMswServer()


describe("create (PUT)", () => {
  function putAnswering(url: string, status: number, headers: Record<string, string> = {}): SeenRequest[] {
    const log: SeenRequest[] = []
    server.use(
      http.put(url, async ({ request }) => {
        await record(log, request)
        return new HttpResponse(null, { status, headers })
      })
    )
    return log
  }

  it("reports created: true on 201 and records offset and content type", async () => {
    const url = streamUrl("create-201")
    const log = putAnswering(url, 201, { "Stream-Next-Offset": "0000", "Content-Type": "text/plain" })
    const stream = new DurableStream({ url })
    const result = await stream.create({ contentType: "text/plain" })
    expect(result).toEqual({ created: true, offset: "0000", closed: false, contentType: "text/plain" })
    expect(stream.created).toBe(true)
    expect(stream.contentType).toBe("text/plain")
    expect(log).toHaveLength(1)
    expect(log[0]!.method).toBe("PUT")
    expect(log[0]!.url.href).toBe(url)
    expect(log[0]!.headers.get("content-type")).toBe("text/plain")
  })

  it("reports created: false on 200 (stream exists with the same configuration)", async () => {
    const url = streamUrl("create-200")
    putAnswering(url, 200, { "Stream-Next-Offset": "0042" })
    const stream = await DurableStream.create({ url, contentType: "application/json" })
    expect(stream.created).toBe(false)
    expect(stream.contentType).toBe("application/json")
  })

  it("always sends an explicit content type (octet-stream by default)", async () => {
    const url = streamUrl("create-default-ct")
    const log = putAnswering(url, 201)
    await new DurableStream({ url }).create()
    expect(log[0]!.headers.get("content-type")).toBe("application/octet-stream")
  })

  it("sends TTL, expiry, closure and the initial body", async () => {
    const url = streamUrl("create-headers")
    const log = putAnswering(url, 201, { "Stream-Closed": "true" })
    const stream = new DurableStream({ url, contentType: "text/plain" })
    const result = await stream.create({ ttlSeconds: 3600, closed: true, body: "initial" })
    expect(result.closed).toBe(true)
    expect(log[0]!.headers.get("stream-ttl")).toBe("3600")
    expect(log[0]!.headers.get("stream-expires-at")).toBeNull()
    expect(log[0]!.headers.get("stream-closed")).toBe("true")
    expect(new TextDecoder().decode(log[0]!.body)).toBe("initial")

    const url2 = streamUrl("create-expiry")
    const log2 = putAnswering(url2, 201)
    await new DurableStream({ url: url2 }).create({ expiresAt: new Date("2030-01-02T03:04:05Z") })
    expect(log2[0]!.headers.get("stream-expires-at")).toBe("2030-01-02T03:04:05.000Z")
    expect(log2[0]!.headers.get("stream-ttl")).toBeNull()
    expect(log2[0]!.headers.get("stream-closed")).toBeNull()
  })

  it("sends an expiry string exactly as written, so a repeated create compares equal", async () => {
    const url = streamUrl("create-expiry-string")
    const log = putAnswering(url, 201)
    await new DurableStream({ url }).create({ expiresAt: "2030-01-02T03:04:05Z" })
    expect(log[0]!.headers.get("stream-expires-at")).toBe("2030-01-02T03:04:05Z")
  })

  it("resolves when the success response carries a body (the body is discarded)", async () => {
    const url = streamUrl("create-with-response-body")
    server.use(
      http.put(url, () => new HttpResponse("created, see Location", { status: 201, headers: { Location: url } }))
    )
    expect((await new DurableStream({ url }).create()).created).toBe(true)
  })

  it("maps 409 to CONFLICT without retrying", async () => {
    const url = streamUrl("create-409")
    const log = putAnswering(url, 409)
    const error = await failure(new DurableStream({ url, retry: FAST_RETRY }).create())
    expect(error.code).toBe("CONFLICT")
    expect(error.status).toBe(409)
    expect(error.operation).toBe("create")
    expect(log).toHaveLength(1)
  })

  it("rejects ttlSeconds together with expiresAt before sending anything", async () => {
    const url = streamUrl("create-ttl-and-expiry")
    const log = putAnswering(url, 201)
    const error = await failure(
      new DurableStream({ url }).create({ ttlSeconds: 60, expiresAt: new Date(Date.now() + 60_000) })
    )
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(url)
    expect(log).toHaveLength(0)
  })

  for (const ttl of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects ttlSeconds ${ttl} locally`, async () => {
      const url = streamUrl("create-bad-ttl")
      const log = putAnswering(url, 201)
      const error = await failure(new DurableStream({ url }).create({ ttlSeconds: ttl }))
      expect(error.code).toBe("INVALID_ARGUMENT")
      expect(log).toHaveLength(0)
    })
  }

  it("accepts ttlSeconds 0 and sends it as 0", async () => {
    const url = streamUrl("create-ttl-0")
    const log = putAnswering(url, 201)
    await new DurableStream({ url }).create({ ttlSeconds: 0 })
    expect(log[0]!.headers.get("stream-ttl")).toBe("0")
  })

  it("rejects an invalid expiry date locally", async () => {
    const url = streamUrl("create-bad-expiry")
    const log = putAnswering(url, 201)
    const error = await failure(new DurableStream({ url }).create({ expiresAt: "not a date" }))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(log).toHaveLength(0)
  })

  it("retries a 503 (create is idempotent) and then succeeds", async () => {
    const url = streamUrl("create-503")
    let calls = 0
    server.use(
      http.put(url, () => {
        calls++
        return new HttpResponse(null, { status: calls === 1 ? 503 : 201 })
      })
    )
    const result = await new DurableStream({ url, retry: FAST_RETRY }).create()
    expect(result.created).toBe(true)
    expect(calls).toBe(2)
  })
})

describe("handle construction", () => {
  it("refuses URLs that are not absolute http(s)", () => {
    for (const url of ["/relative/path", "ftp://streams.test/x", "not a url"]) {
      expect(() => new DurableStream({ url })).toThrowError(
        expect.objectContaining({ code: "INVALID_ARGUMENT" })
      )
    }
  })
})

describe("head (HEAD)", () => {
  function headAnswering(url: string, status: number, headers: Record<string, string>): SeenRequest[] {
    const log: SeenRequest[] = []
    server.use(
      http.head(url, async ({ request }) => {
        await record(log, request)
        return new HttpResponse(null, { status, headers })
      })
    )
    return log
  }

  it("parses content type, tail offset, TTL, expiry and ETag", async () => {
    const url = streamUrl("head-200")
    headAnswering(url, 200, {
      "content-type": "application/json",
      "stream-next-offset": "0000000123",
      "stream-ttl": "600",
      "stream-expires-at": "2030-01-01T00:00:00Z",
      etag: '"abc"',
    })
    const stream = new DurableStream({ url })
    const info = await stream.head()
    expect(info).toEqual({
      contentType: "application/json",
      offset: "0000000123",
      closed: false,
      ttlSeconds: 600,
      expiresAt: "2030-01-01T00:00:00Z",
      etag: '"abc"',
    })
    expect(stream.contentType).toBe("application/json")
  })

  const closedCases: Array<[string | undefined, boolean]> = [
    ["true", true],
    ["TRUE", true],
    ["True", true],
    ["false", false],
    ["1", false],
    ["yes", false],
    ["", false],
    [undefined, false],
  ]
  for (const [value, closed] of closedCases) {
    it(`treats Stream-Closed ${JSON.stringify(value)} as ${closed ? "closed" : "open"}`, async () => {
      const url = streamUrl("head-closed")
      const headers: Record<string, string> = { "Stream-Next-Offset": "0001" }
      if (value !== undefined) headers["Stream-Closed"] = value
      headAnswering(url, 200, headers)
      const info = await DurableStream.head({ url })
      expect(info.closed).toBe(closed)
    })
  }

  it("maps 404 to NOT_FOUND naming the stream URL", async () => {
    const url = streamUrl("head-404")
    const log = headAnswering(url, 404, {})
    const error = await failure(DurableStream.head({ url, retry: FAST_RETRY }))
    expect(error.code).toBe("NOT_FOUND")
    expect(error.status).toBe(404)
    expect(error.operation).toBe("head")
    expect(error.url).toBe(url)
    expect(error.message).toContain(url)
    expect(log).toHaveLength(1)
  })

  it("maps 410 to GONE", async () => {
    const url = streamUrl("head-410")
    headAnswering(url, 410, {})
    expect((await failure(DurableStream.head({ url, retry: FAST_RETRY }))).code).toBe("GONE")
  })

  it("connect() checks the stream and learns its content type", async () => {
    const url = streamUrl("connect")
    const log = headAnswering(url, 200, { "content-type": "text/plain", "stream-next-offset": "0001" })
    const stream = await DurableStream.connect({ url })
    expect(stream.contentType).toBe("text/plain")
    expect(log).toHaveLength(1)

    const missing = streamUrl("connect-missing")
    headAnswering(missing, 404, {})
    expect((await failure(DurableStream.connect({ url: missing }))).code).toBe("NOT_FOUND")
  })
})

describe("delete (DELETE)", () => {
  it("succeeds on 204", async () => {
    const url = streamUrl("delete-204")
    const log: SeenRequest[] = []
    server.use(
      http.delete(url, async ({ request }) => {
        await record(log, request)
        return new HttpResponse(null, { status: 204 })
      })
    )
    await expect(DurableStream.delete({ url })).resolves.toBeUndefined()
    expect(log.map((r) => r.method)).toEqual(["DELETE"])
  })

  for (const [status, code] of [
    [404, "NOT_FOUND"],
    [410, "GONE"],
    [501, "UNEXPECTED_STATUS"],
  ] as const) {
    it(`maps ${status} to ${code} without retrying`, async () => {
      const url = streamUrl(`delete-${status}`)
      let calls = 0
      server.use(
        http.delete(url, () => {
          calls++
          return new HttpResponse("nope", { status })
        })
      )
      const error = await failure(new DurableStream({ url, retry: FAST_RETRY }).delete())
      expect(error.code).toBe(code)
      expect(error.status).toBe(status)
      expect(error.operation).toBe("delete")
      expect(error.message).toContain(url)
      expect(calls).toBe(1)
    })
  }
})

describe("request headers", () => {
  it("sends static handle headers and params on lifecycle requests", async () => {
    const url = streamUrl("static-values")
    const log: SeenRequest[] = []
    server.use(
      http.head(url, async ({ request }) => {
        await record(log, request)
        return new HttpResponse(null, { status: 200, headers: readHeaders({ offset: "0000" }) })
      })
    )
    await DurableStream.head({ url, headers: { authorization: "Bearer t" }, params: { tenant: "acme" } })
    expect(log[0]!.headers.get("authorization")).toBe("Bearer t")
    expect(log[0]!.url.searchParams.get("tenant")).toBe("acme")
  })
})

describe("per-operation headers", () => {
  it("every single-request operation takes extra headers for that request only; protocol headers still win", async () => {
    const url = streamUrl("per-op-headers")
    const log: SeenRequest[] = []
    const answer = (status: number) => async ({ request }: { request: Request }) => {
      await record(log, request)
      return new HttpResponse(null, { status, headers: { "stream-next-offset": "0001", "content-type": "text/plain" } })
    }
    server.use(http.put(url, answer(201)), http.head(url, answer(200)), http.post(url, answer(204)), http.delete(url, answer(204)))
    const stream = new DurableStream({ url, contentType: "text/plain", headers: { "x-app": "handle" } })
    await stream.create({ headers: { "x-op": "create" } })
    await stream.head({ headers: { "x-op": "head" } })
    await stream.append("a", { headers: { "x-op": "append", "stream-seq": "forged" }, seq: "0002" })
    await stream.close({ headers: { "x-op": () => "close" } })
    await stream.delete({ headers: { "x-op": "delete" } })
    await stream.head()
    expect(log.map((request) => request.headers.get("x-op"))).toEqual(["create", "head", "append", "close", "delete", null])
    expect(log.every((request) => request.headers.get("x-app") === "handle")).toBe(true)
    expect(log[2]!.headers.get("stream-seq")).toBe("0002")
  })
})
