import { http, HttpResponse } from "msw"
import { describe, expect, it } from "vitest"
import { JsonStream } from "../../src/index"
import { failure, record, streamUrl, thrown, useMswServer, type SeenRequest } from "./support/msw"

const server = useMswServer()

/** Answers POSTs like a server that accepted the append; records each one. */
function acceptPosts(url: string): SeenRequest[] {
  const log: SeenRequest[] = []
  server.use(
    http.post(url, async ({ request }) => {
      await record(log, request)
      return new HttpResponse(null, { status: 204, headers: { "Stream-Next-Offset": `0000000${log.length}` } })
    })
  )
  return log
}

describe("JsonStream.append", () => {
  it("sends one value wrapped as a one-element array, with the JSON content type", async () => {
    const url = streamUrl("append-one")
    const log = acceptPosts(url)
    const stream = new JsonStream({ url })
    const result = await stream.append({ id: 1, tags: ["a"] })
    expect(log).toHaveLength(1)
    expect(log[0]!.method).toBe("POST")
    expect(log[0]!.text).toBe('[{"id":1,"tags":["a"]}]')
    expect(log[0]!.headers.get("content-type")).toBe("application/json")
    expect(result.offset).toBe("00000001")
  })

  it("keeps an array value as ONE message: [1,2] goes out as [[1,2]]", async () => {
    const url = streamUrl("append-array-value")
    const log = acceptPosts(url)
    const stream = new JsonStream({ url })
    await stream.append([1, 2])
    await stream.append([])
    expect(log.map((r) => r.text)).toEqual(["[[1,2]]", "[[]]"])
  })

  it("wraps scalars and null too", async () => {
    const url = streamUrl("append-scalars")
    const log = acceptPosts(url)
    const stream = new JsonStream({ url })
    for (const value of [0, "text", null, false]) await stream.append(value)
    expect(log.map((r) => JSON.parse(r.text) as unknown)).toEqual([[0], ["text"], [null], [false]])
  })

  it("appendMany sends all values as one array in one request", async () => {
    const url = streamUrl("append-many")
    const log = acceptPosts(url)
    const stream = new JsonStream({ url })
    await stream.appendMany([{ a: 1 }, [2, 3], "four"])
    expect(log).toHaveLength(1)
    expect(JSON.parse(log[0]!.text)).toEqual([{ a: 1 }, [2, 3], "four"])
  })

  it("never sends an empty batch: appendMany([]) is INVALID_ARGUMENT and nothing is requested", async () => {
    const url = streamUrl("append-empty")
    const log = acceptPosts(url)
    const stream = new JsonStream({ url })
    const error = await failure(stream.appendMany([]))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.url).toBe(url)
    expect(error.message).toContain(url)
    expect(log).toHaveLength(0)
  })

  const circular: Record<string, unknown> = { name: "loop" }
  circular.self = circular
  it.each([
    ["undefined", undefined],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["a BigInt", 10n],
    ["an object holding a BigInt", { n: 10n }],
    ["a circular object", circular],
  ])("refuses %s with INVALID_ARGUMENT naming the URL, sending nothing", async (_name, value) => {
    const url = streamUrl("append-not-json")
    const log = acceptPosts(url)
    const stream = new JsonStream({ url })
    // Reported through the returned promise, like every other append failure.
    const error = await failure(stream.append(value))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.url).toBe(url)
    expect(error.message).toContain(url)
    // appendMany refuses the whole batch when one element is not JSON.
    expect((await failure(stream.appendMany([1, value, 3]))).code).toBe("INVALID_ARGUMENT")
    // So does close with such a final message.
    expect((await failure(stream.close({ final: value }))).code).toBe("INVALID_ARGUMENT")
    expect(log).toHaveLength(0)
  })

  it("surfaces a server rejection (400) as BAD_REQUEST naming the stream", async () => {
    const url = streamUrl("append-400")
    server.use(http.post(url, () => new HttpResponse("invalid JSON", { status: 400 })))
    const error = await failure(new JsonStream({ url }).append(1))
    expect(error.code).toBe("BAD_REQUEST")
    expect(error.status).toBe(400)
    expect(error.message).toContain(url)
  })
})

describe("JsonStream content types", () => {
  it("accepts application/json; charset=utf-8 and sends it as the content type", async () => {
    const url = streamUrl("charset")
    const log = acceptPosts(url)
    const stream = new JsonStream({ url, contentType: "application/json; charset=utf-8" })
    await stream.append("é")
    expect(log[0]!.headers.get("content-type")).toBe("application/json; charset=utf-8")
    expect(JSON.parse(log[0]!.text)).toEqual(["é"])
  })

  it.each(["text/plain", "application/octet-stream", "application/jsonl", "application/x-ndjson"])(
    "refuses the non-JSON content type %s with INVALID_ARGUMENT",
    (contentType) => {
      const url = streamUrl("bad-ct")
      const error = thrown(() => new JsonStream({ url, contentType }))
      expect(error.code).toBe("INVALID_ARGUMENT")
      expect(error.message).toContain(url)
      expect(error.message).toContain(contentType)
    }
  )

  it("connect() succeeds on a JSON stream (any application/json variant)", async () => {
    const url = streamUrl("connect-json")
    server.use(
      http.head(url, () =>
        new HttpResponse(null, {
          status: 200,
          headers: { "Content-Type": "Application/JSON; charset=utf-8", "Stream-Next-Offset": "00000003" },
        })
      )
    )
    const stream = await JsonStream.connect({ url })
    expect(stream.url).toBe(url)
    expect(stream.stream.contentType).toBe("Application/JSON; charset=utf-8")
  })

  it("connect() to a non-JSON stream fails naming the stream and its content type", async () => {
    const url = streamUrl("connect-bytes")
    server.use(
      http.head(url, () =>
        new HttpResponse(null, {
          status: 200,
          headers: { "Content-Type": "text/plain", "Stream-Next-Offset": "00000003" },
        })
      )
    )
    const error = await failure(JsonStream.connect({ url }))
    expect(error.code).toBe("CONFLICT")
    expect(error.message).toContain(url)
    expect(error.message).toContain("text/plain")
  })

  it("connect() to a missing stream is NOT_FOUND", async () => {
    const url = streamUrl("connect-missing")
    server.use(http.head(url, () => new HttpResponse(null, { status: 404 })))
    expect((await failure(JsonStream.connect({ url }))).code).toBe("NOT_FOUND")
  })
})

describe("JsonStream.create and close", () => {
  it("creates as application/json with the initial messages as one array", async () => {
    const url = streamUrl("create")
    const log: SeenRequest[] = []
    server.use(
      http.put(url, async ({ request }) => {
        await record(log, request)
        return new HttpResponse(null, {
          status: 201,
          headers: { "Content-Type": "application/json", "Stream-Next-Offset": "00000002" },
        })
      })
    )
    const stream = await JsonStream.create({ url, messages: [{ a: 1 }, [2]] })
    expect(stream.created).toBe(true)
    expect(log[0]!.headers.get("content-type")).toBe("application/json")
    expect(JSON.parse(log[0]!.text)).toEqual([{ a: 1 }, [2]])
  })

  it("create without messages sends no body", async () => {
    const url = streamUrl("create-empty")
    const log: SeenRequest[] = []
    server.use(
      http.put(url, async ({ request }) => {
        await record(log, request)
        return new HttpResponse(null, { status: 200, headers: { "Content-Type": "application/json" } })
      })
    )
    const stream = await JsonStream.create({ url })
    expect(stream.created).toBe(false)
    expect(log[0]!.body).toHaveLength(0)
  })

  it("close({ final }) sends [final] with Stream-Closed: true; close() sends no body", async () => {
    const url = streamUrl("close")
    const log: SeenRequest[] = []
    server.use(
      http.post(url, async ({ request }) => {
        await record(log, request)
        return new HttpResponse(null, {
          status: 204,
          headers: { "Stream-Next-Offset": "00000009", "Stream-Closed": "true" },
        })
      })
    )
    const stream = new JsonStream({ url })
    const result = await stream.close({ final: [1, 2] })
    expect(result).toEqual({ offset: "00000009", closed: true })
    await stream.close()
    expect(log[0]!.headers.get("stream-closed")).toBe("true")
    expect(log[0]!.text).toBe("[[1,2]]")
    expect(log[0]!.headers.get("content-type")).toBe("application/json")
    expect(log[1]!.headers.get("stream-closed")).toBe("true")
    expect(log[1]!.body).toHaveLength(0)
  })
})
