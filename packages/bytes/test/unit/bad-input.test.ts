/**
 * Every public entry point of the bytes layer, driven with the mistakes
 * callers make: each must throw (or reject with) INVALID_ARGUMENT naming the
 * option and the stream, before a single request goes out.
 */
import { countingFetch, raisedError } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, type DurableStreamError } from "../../src/index"

type Fetch = typeof globalThis.fetch

const URL_TEXT = "http://streams.test/v1/stream/bad-input"

const controller = new AbortController()
const badNumbers: Array<[string, unknown]> = [
  ["0", 0],
  ["-1", -1],
  ["NaN", Number.NaN],
  ['"abc"', "abc"],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["2^31", 2 ** 31],
]
const badHeaderValues: Array<[string, unknown]> = [
  ["CR", "Bearer abc\rdef"],
  ["LF", "Bearer abc\ndef"],
  ["NUL", "Bearer abc\u0000def"],
  ["a number", 42],
  ["a non-Latin-1 character", "Bearer ☃"],
]

interface Case {
  name: string
  option: string
  run: (fetch: Fetch) => unknown
}

const handle = (fetch: Fetch, extra: object = {}): DurableStream =>
  new DurableStream({ url: URL_TEXT, contentType: "text/plain", fetch, ...extra })

const cases: Case[] = [
  // The constructor and its static helpers.
  { name: "constructor with null options", option: "options", run: () => new DurableStream(null as never) },
  { name: "constructor with undefined options", option: "options", run: () => new DurableStream(undefined as never) },
  { name: "relative url", option: "url", run: (fetch) => new DurableStream({ url: "/v1/stream/x", fetch }) },
  { name: "malformed url", option: "url", run: (fetch) => new DurableStream({ url: "http://exa mple.com/x", fetch }) },
  { name: "url with a bad port", option: "url", run: (fetch) => new DurableStream({ url: "http://host:99999/x", fetch }) },
  { name: "url that is not a string", option: "url", run: (fetch) => new DurableStream({ url: 42 as never, fetch }) },
  { name: "non-function fetch", option: "fetch", run: () => new DurableStream({ url: URL_TEXT, fetch: "fetch" as never }) },
  { name: "headers as a string", option: "headers", run: (fetch) => handle(fetch, { headers: "x" }) },
  { name: "headers as an array", option: "headers", run: (fetch) => handle(fetch, { headers: ["a"] }) },
  { name: "invalid header name", option: "headers", run: (fetch) => handle(fetch, { headers: { "bad name": "x" } }) },
  ...badHeaderValues.map(([label, value]): Case => ({
    name: `static header value with ${label}`,
    option: "header authorization",
    run: (fetch) => handle(fetch, { headers: { authorization: value } }),
  })),
  { name: "param that is not a string", option: "params.tenant", run: (fetch) => handle(fetch, { params: { tenant: 7 } }) },
  { name: "non-function onError", option: "onError", run: (fetch) => handle(fetch, { onError: "log" }) },
  { name: "retryAppends not a boolean", option: "retryAppends", run: (fetch) => handle(fetch, { retryAppends: "yes" }) },
  { name: "contentType not a string", option: "contentType", run: (fetch) => handle(fetch, { contentType: 5 }) },
  { name: "retry as a number", option: "retry", run: (fetch) => handle(fetch, { retry: 3 }) },
  { name: "retry.maxRetries negative", option: "retry.maxRetries", run: (fetch) => handle(fetch, { retry: { maxRetries: -1 } }) },
  { name: "retry.maxRetries NaN", option: "retry.maxRetries", run: (fetch) => handle(fetch, { retry: { maxRetries: Number.NaN } }) },
  { name: "timeouts as a string", option: "timeouts", run: (fetch) => handle(fetch, { timeouts: "fast" }) },
  ...badNumbers.flatMap(([label, value]): Case[] => [
    {
      name: `retry.initialDelayMs ${label}`,
      option: "retry.initialDelayMs",
      run: (fetch) => handle(fetch, { retry: { initialDelayMs: value } }),
    },
    {
      name: `timeouts.headersMs ${label}`,
      option: "timeouts.headersMs",
      run: (fetch) => handle(fetch, { timeouts: { headersMs: value } }),
    },
    {
      name: `timeouts.longPollMs ${label}`,
      option: "timeouts.longPollMs",
      run: (fetch) => handle(fetch, { timeouts: { longPollMs: value } }),
    },
    {
      name: `read longPollTimeoutMs ${label}`,
      option: "longPollTimeoutMs",
      run: (fetch) => handle(fetch).read({ live: "long-poll", longPollTimeoutMs: value as number }),
    },
  ]),
  { name: "static create with null", option: "options", run: () => DurableStream.create(null as never) },
  { name: "static connect with an AbortController", option: "signal", run: (fetch) => DurableStream.connect({ url: URL_TEXT, fetch, signal: controller as never }) },
  { name: "static head with a relative url", option: "url", run: (fetch) => DurableStream.head({ url: "stream", fetch }) },
  { name: "static delete with null", option: "options", run: () => DurableStream.delete(null as never) },

  // Operations.
  { name: "create with a string for options", option: "options", run: (fetch) => handle(fetch).create("x" as never) },
  { name: "create with negative ttlSeconds", option: "ttlSeconds", run: (fetch) => handle(fetch).create({ ttlSeconds: -1 }) },
  { name: "create with NaN ttlSeconds", option: "ttlSeconds", run: (fetch) => handle(fetch).create({ ttlSeconds: Number.NaN }) },
  { name: "create with an invalid expiresAt", option: "expiresAt", run: (fetch) => handle(fetch).create({ expiresAt: "soon" }) },
  { name: "create with both ttl and expiry", option: "ttlSeconds", run: (fetch) => handle(fetch).create({ ttlSeconds: 1, expiresAt: new Date() }) },
  { name: "create with a non-boolean closed", option: "closed", run: (fetch) => handle(fetch).create({ closed: "yes" as never }) },
  { name: "create with an AbortController", option: "signal", run: (fetch) => handle(fetch).create({ signal: controller as never }) },
  { name: "create with a body of the wrong type", option: "data", run: (fetch) => handle(fetch).create({ body: 42 as never }) },
  { name: "head with an AbortController", option: "signal", run: (fetch) => handle(fetch).head({ signal: controller as never }) },
  { name: "head with null options", option: "options", run: (fetch) => handle(fetch).head(null as never) },
  { name: "delete with headers as a string", option: "headers", run: (fetch) => handle(fetch).delete({ headers: "x" as never }) },
  { name: "append null", option: "data", run: (fetch) => handle(fetch).append(null as never) },
  { name: "append a number", option: "data", run: (fetch) => handle(fetch).append(42 as never) },
  { name: "append empty data", option: "empty data", run: (fetch) => handle(fetch).append("") },
  { name: "append with an empty seq", option: "seq", run: (fetch) => handle(fetch).append("a", { seq: "" }) },
  { name: "append with a numeric seq", option: "seq", run: (fetch) => handle(fetch).append("a", { seq: 1 as never }) },
  { name: "append with an AbortController", option: "signal", run: (fetch) => handle(fetch).append("a", { signal: controller as never }) },
  ...badHeaderValues.map(([label, value]): Case => ({
    name: `append with a per-request header value with ${label}`,
    option: "header x-token",
    run: (fetch) => handle(fetch).append("a", { headers: { "x-token": value as string } }),
  })),
  { name: "close with a body of the wrong type", option: "data", run: (fetch) => handle(fetch).close({ body: {} as never }) },
  { name: "close with null options", option: "options", run: (fetch) => handle(fetch).close(null as never) },

  // Reads.
  { name: "read with null options", option: "read options", run: (fetch) => handle(fetch).read(null as never) },
  { name: "read with an empty offset", option: "offset", run: (fetch) => handle(fetch).read({ offset: "" }) },
  { name: "read with a numeric offset", option: "offset", run: (fetch) => handle(fetch).read({ offset: -1 as never }) },
  { name: "read with an unknown live mode", option: "live", run: (fetch) => handle(fetch).read({ live: "websocket" as never }) },
  { name: "read with live: true", option: "live", run: (fetch) => handle(fetch).read({ live: true as never }) },
  { name: "read with an AbortController", option: "signal", run: (fetch) => handle(fetch).read({ signal: controller as never }) },
  { name: "read with non-function onError", option: "onError", run: (fetch) => handle(fetch).read({ onError: {} as never }) },
  { name: "read with headers as a string", option: "headers", run: (fetch) => handle(fetch).read({ headers: "x" as never }) },
  { name: "read with a bad header value", option: "header authorization", run: (fetch) => handle(fetch).read({ headers: { authorization: "a\r\nb" } }) },
  { name: "read with followRedirects not a boolean", option: "followRedirects", run: (fetch) => handle(fetch).read({ followRedirects: 1 as never }) },
  { name: "read with maxSseBufferBytes 0", option: "maxSseBufferBytes", run: (fetch) => handle(fetch).read({ maxSseBufferBytes: 0 }) },
  { name: "read with a bogus shareAcrossTabs", option: "shareAcrossTabs", run: (fetch) => handle(fetch).read({ shareAcrossTabs: {} as never }) },

  // Lifecycle sources, on the handle and on a read.
  { name: "lifecycle as a string", option: "lifecycle", run: (fetch) => handle(fetch, { lifecycle: "browser" }) },
  { name: "lifecycle.visibility true", option: "lifecycle.visibility", run: (fetch) => handle(fetch, { lifecycle: { visibility: true } }) },
  { name: "lifecycle.visibility without events", option: "lifecycle.visibility", run: (fetch) => handle(fetch, { lifecycle: { visibility: { visibilityState: "visible" } } }) },
  { name: "lifecycle.appState as a string", option: "lifecycle.appState", run: (fetch) => handle(fetch, { lifecycle: { appState: "active" } }) },
  { name: "lifecycle.online without addEventListener", option: "lifecycle.online", run: (fetch) => handle(fetch, { lifecycle: { online: { isConnected: true } } }) },
  { name: "lifecycle.pauseWhenHidden not a boolean", option: "lifecycle.pauseWhenHidden", run: (fetch) => handle(fetch, { lifecycle: { pauseWhenHidden: "no" } }) },
  { name: "read with lifecycle.appState a number", option: "lifecycle.appState", run: (fetch) => handle(fetch).read({ live: "sse", lifecycle: { appState: 1 as never } }) },
  { name: "read with lifecycle as an array", option: "lifecycle", run: (fetch) => handle(fetch).read({ lifecycle: [] as never }) },
  ...badNumbers.flatMap(([label, value]): Case[] => [
    {
      name: `lifecycle.wakeCheckMs ${label}`,
      option: "lifecycle.wakeCheckMs",
      run: (fetch) => handle(fetch, { lifecycle: { wakeCheckMs: value } }),
    },
    {
      name: `read lifecycle.wakeGapMs ${label}`,
      option: "lifecycle.wakeGapMs",
      run: (fetch) => handle(fetch).read({ live: "auto", lifecycle: { wakeGapMs: value as number } }),
    },
  ]),
]

describe("bad input to the bytes layer", () => {
  it.each(cases)("$name → INVALID_ARGUMENT naming $option, no request", async ({ option, run }) => {
    const spy = countingFetch()
    const error = await raisedError<DurableStreamError>(() => run(spy.fetch))
    expect(error.code, error.message).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(option)
    expect(error.url === URL_TEXT || error.message.includes(error.url)).toBe(true)
    expect(spy.calls).toBe(0)
  })

  it("says to pass controller.signal when given the controller", async () => {
    const error = await raisedError<DurableStreamError>(() => handle(countingFetch().fetch).read({ signal: controller as never }))
    expect(error.message).toContain("controller.signal")
  })

  it("never quotes a header value it refuses: it may be a token", async () => {
    const error = await raisedError<DurableStreamError>(() => handle(countingFetch().fetch, { headers: { authorization: "Bearer s3cr3t-TOKEN\r\n" } }))
    expect(`${error.message} ${String(error)} ${JSON.stringify(error)}`).not.toContain("s3cr3t-TOKEN")
  })

  it("never prints credentials from a URL it refuses", async () => {
    const error = await raisedError<DurableStreamError>(() => new DurableStream({ url: "https://user:hunter2@streams.test/v1/stream/x" }))
    expect(error.message).toContain("credentials")
    expect(`${error.message} ${error.url}`).not.toContain("hunter2")
  })
})
