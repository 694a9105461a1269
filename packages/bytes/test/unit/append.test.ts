import { http, HttpResponse } from "msw"
import { describe, expect, it } from "vitest"
import { DurableStream } from "../../src/index"
import { FAST_RETRY, failure, record, streamUrl, text, useMswServer, type SeenRequest } from "./support/msw"

const server = useMswServer()


type Answer = { status: number; headers?: Record<string, string>; body?: string } | "network-error"

/** POST handler answering from `answers` in order (the last one repeats). */
function postAnswering(url: string, answers: Answer[]): SeenRequest[] {
  const log: SeenRequest[] = []
  server.use(
    http.post(url, async ({ request }) => {
      await record(log, request)
      const answer = answers[Math.min(log.length, answers.length) - 1]!
      if (answer === "network-error") return HttpResponse.error()
      return new HttpResponse(answer.body ?? null, { status: answer.status, headers: answer.headers })
    })
  )
  return log
}

describe("append", () => {
  it("POSTs the bytes with the stream's content type and returns the new tail", async () => {
    const url = streamUrl("append-204")
    const log = postAnswering(url, [{ status: 204, headers: { "Stream-Next-Offset": "0000000011" } }])
    const stream = new DurableStream({ url, contentType: "text/plain" })
    const result = await stream.append("héllo")
    expect(result).toEqual({ offset: "0000000011", closed: false })
    expect(log).toHaveLength(1)
    expect(log[0]!.headers.get("content-type")).toBe("text/plain")
    expect(log[0]!.headers.get("stream-closed")).toBeNull()
    expect(text(log[0]!.body)).toBe("héllo")
  })

  it("sends Uint8Array and ArrayBuffer data byte for byte", async () => {
    const url = streamUrl("append-binary")
    const log = postAnswering(url, [{ status: 204, headers: { "Stream-Next-Offset": "1" } }])
    const stream = new DurableStream({ url, contentType: "application/octet-stream" })
    await stream.append(Uint8Array.of(0, 255, 10, 13))
    await stream.append(Uint8Array.of(7, 8).buffer)
    expect(log.map((r) => [...r.body])).toEqual([
      [0, 255, 10, 13],
      [7, 8],
    ])
  })

  it("treats 200 as success too and reports closure from the response", async () => {
    const url = streamUrl("append-200")
    postAnswering(url, [{ status: 200, headers: { "Stream-Next-Offset": "9", "Stream-Closed": "true" } }])
    const result = await new DurableStream({ url, contentType: "text/plain" }).append("x")
    expect(result).toEqual({ offset: "9", closed: true })
  })

  it("learns the content type by HEAD when the handle does not know it (once)", async () => {
    const url = streamUrl("append-learn-ct")
    const heads: SeenRequest[] = []
    server.use(
      http.head(url, async ({ request }) => {
        await record(heads, request)
        return new HttpResponse(null, {
          status: 200,
          headers: { "content-type": "application/x-custom", "stream-next-offset": "0" },
        })
      })
    )
    const log = postAnswering(url, [{ status: 204, headers: { "Stream-Next-Offset": "1" } }])
    const stream = new DurableStream({ url })
    await stream.append("a")
    await stream.append("b")
    expect(heads).toHaveLength(1)
    expect(log.map((r) => r.headers.get("content-type"))).toEqual([
      "application/x-custom",
      "application/x-custom",
    ])
  })

  it("refuses empty data without sending a request", async () => {
    const url = streamUrl("append-empty")
    const log = postAnswering(url, [{ status: 204 }])
    const stream = new DurableStream({ url, contentType: "text/plain" })
    for (const empty of ["", new Uint8Array(0), new ArrayBuffer(0)]) {
      const error = await failure(stream.append(empty))
      expect(error.code).toBe("INVALID_ARGUMENT")
      expect(error.message).toContain(url)
    }
    expect(log).toHaveLength(0)
  })

  it("sends Stream-Seq when given", async () => {
    const url = streamUrl("append-seq")
    const log = postAnswering(url, [{ status: 204, headers: { "Stream-Next-Offset": "1" } }])
    await new DurableStream({ url, contentType: "text/plain" }).append("x", { seq: "000042" })
    expect(log[0]!.headers.get("stream-seq")).toBe("000042")
  })
})

describe("append errors", () => {
  it("409 with Stream-Closed is STREAM_CLOSED carrying the final offset", async () => {
    const url = streamUrl("append-409-closed")
    const log = postAnswering(url, [
      { status: 409, headers: { "Stream-Closed": "true", "Stream-Next-Offset": "0000000077" } },
    ])
    const error = await failure(new DurableStream({ url, contentType: "text/plain", retry: FAST_RETRY }).append("x"))
    expect(error.code).toBe("STREAM_CLOSED")
    expect(error.offset).toBe("0000000077")
    expect(error.status).toBe(409)
    expect(log).toHaveLength(1)
  })

  it("409 after sending Stream-Seq is SEQUENCE_CONFLICT", async () => {
    const url = streamUrl("append-409-seq")
    postAnswering(url, [{ status: 409 }])
    const error = await failure(
      new DurableStream({ url, contentType: "text/plain" }).append("x", { seq: "0001" })
    )
    expect(error.code).toBe("SEQUENCE_CONFLICT")
  })

  it("409 with Stream-Closed wins over Stream-Seq", async () => {
    const url = streamUrl("append-409-closed-seq")
    postAnswering(url, [{ status: 409, headers: { "Stream-Closed": "true", "Stream-Next-Offset": "5" } }])
    const error = await failure(
      new DurableStream({ url, contentType: "text/plain" }).append("x", { seq: "0001" })
    )
    expect(error.code).toBe("STREAM_CLOSED")
  })

  it("a plain 409 is CONFLICT (Stream-Closed: false does not count)", async () => {
    const url = streamUrl("append-409-plain")
    postAnswering(url, [{ status: 409, headers: { "Stream-Closed": "false" } }])
    const error = await failure(new DurableStream({ url, contentType: "text/plain" }).append("x"))
    expect(error.code).toBe("CONFLICT")
  })

  for (const [status, code] of [
    [400, "BAD_REQUEST"],
    [401, "UNAUTHORIZED"],
    [403, "FORBIDDEN"],
    [404, "NOT_FOUND"],
    [410, "GONE"],
    [413, "PAYLOAD_TOO_LARGE"],
    [501, "UNEXPECTED_STATUS"],
  ] as const) {
    it(`${status} is ${code}, not retried, and the error names the URL and operation`, async () => {
      const url = streamUrl(`append-${status}`)
      const log = postAnswering(url, [{ status, body: "server says no" }])
      const stream = new DurableStream({ url, contentType: "text/plain", retry: FAST_RETRY, retryAppends: true })
      const error = await failure(stream.append("x"))
      expect(error.code).toBe(code)
      expect(error.status).toBe(status)
      expect(error.operation).toBe("append")
      expect(error.message).toContain(url)
      expect(error.message).toContain("server says no")
      expect(log).toHaveLength(1)
    })
  }
})

describe("append retries", () => {
  for (const failureAnswer of [{ status: 500 }, { status: 503 }, "network-error"] as const) {
    const name = failureAnswer === "network-error" ? "a network error" : `${failureAnswer.status}`
    it(`does not retry a plain append after ${name} (it may have been stored)`, async () => {
      const url = streamUrl("append-no-retry")
      const log = postAnswering(url, [failureAnswer, { status: 204, headers: { "Stream-Next-Offset": "1" } }])
      const error = await failure(new DurableStream({ url, contentType: "text/plain", retry: FAST_RETRY }).append("x"))
      expect(error.code).toBe(failureAnswer === "network-error" ? "NETWORK" : "UNEXPECTED_STATUS")
      expect(log).toHaveLength(1)
    })

    it(`retries after ${name} when retryAppends is on`, async () => {
      const url = streamUrl("append-retry-opt-in")
      const log = postAnswering(url, [failureAnswer, { status: 204, headers: { "Stream-Next-Offset": "1" } }])
      const stream = new DurableStream({ url, contentType: "text/plain", retry: FAST_RETRY, retryAppends: true })
      expect((await stream.append("x")).offset).toBe("1")
      expect(log).toHaveLength(2)
      expect(text(log[1]!.body)).toBe("x")
    })
  }

  it("retries 429 (nothing was stored) and then succeeds", async () => {
    const url = streamUrl("append-429")
    const log = postAnswering(url, [{ status: 429 }, { status: 429 }, { status: 204, headers: { "Stream-Next-Offset": "3" } }])
    const result = await new DurableStream({ url, contentType: "text/plain", retry: FAST_RETRY }).append("x")
    expect(result.offset).toBe("3")
    expect(log).toHaveLength(3)
  })

  it("fails with RATE_LIMITED when 429 persists past maxRetries", async () => {
    const url = streamUrl("append-429-exhausted")
    const log = postAnswering(url, [{ status: 429 }])
    const stream = new DurableStream({ url, contentType: "text/plain", retry: { ...FAST_RETRY, maxRetries: 2 } })
    const error = await failure(stream.append("x"))
    expect(error.code).toBe("RATE_LIMITED")
    expect(log).toHaveLength(3)
  })
})

describe("close", () => {
  it("sends Stream-Closed: true with an empty body", async () => {
    const url = streamUrl("close-only")
    const log = postAnswering(url, [{ status: 204, headers: { "Stream-Next-Offset": "8", "Stream-Closed": "true" } }])
    const result = await new DurableStream({ url }).close()
    expect(result).toEqual({ offset: "8", closed: true })
    expect(log).toHaveLength(1)
    expect(log[0]!.headers.get("stream-closed")).toBe("true")
    expect(log[0]!.body).toHaveLength(0)
  })

  it("is idempotent: closing twice succeeds both times", async () => {
    const url = streamUrl("close-twice")
    const log = postAnswering(url, [{ status: 204, headers: { "Stream-Next-Offset": "8", "Stream-Closed": "true" } }])
    const stream = new DurableStream({ url })
    await stream.close()
    expect(await stream.close()).toEqual({ offset: "8", closed: true })
    expect(log).toHaveLength(2)
    for (const request of log) expect(request.headers.get("stream-closed")).toBe("true")
  })

  it("close({ body }) sends the data and Stream-Closed together", async () => {
    const url = streamUrl("close-with-body")
    const log = postAnswering(url, [{ status: 204, headers: { "Stream-Next-Offset": "12", "Stream-Closed": "true" } }])
    const result = await new DurableStream({ url, contentType: "text/plain" }).close({ body: "final" })
    expect(result).toEqual({ offset: "12", closed: true })
    expect(log).toHaveLength(1)
    expect(log[0]!.headers.get("stream-closed")).toBe("true")
    expect(log[0]!.headers.get("content-type")).toBe("text/plain")
    expect(text(log[0]!.body)).toBe("final")
  })

  it("close({ body }) on a closed stream is STREAM_CLOSED", async () => {
    const url = streamUrl("close-with-body-409")
    postAnswering(url, [{ status: 409, headers: { "Stream-Next-Offset": "12", "Stream-Closed": "true" } }])
    const error = await failure(new DurableStream({ url, contentType: "text/plain" }).close({ body: "late" }))
    expect(error.code).toBe("STREAM_CLOSED")
    expect(error.offset).toBe("12")
  })

  it("retries a close-only request on 503 (it is idempotent)", async () => {
    const url = streamUrl("close-503")
    const log = postAnswering(url, [{ status: 503 }, { status: 204, headers: { "Stream-Next-Offset": "4", "Stream-Closed": "true" } }])
    expect((await new DurableStream({ url, retry: FAST_RETRY }).close()).closed).toBe(true)
    expect(log).toHaveLength(2)
  })

  it("does not retry close({ body }) on 503 (the data may have been stored)", async () => {
    const url = streamUrl("close-body-503")
    const log = postAnswering(url, [{ status: 503 }, { status: 204 }])
    const error = await failure(
      new DurableStream({ url, contentType: "text/plain", retry: FAST_RETRY }).close({ body: "x" })
    )
    expect(error.status).toBe(503)
    expect(log).toHaveLength(1)
  })
})
