/**
 * A bearer token handed to the SDK never leaves it except in the request it
 * authorises: not in an error's message, toString(), stack, JSON or inspect
 * output, and not on the console, whatever failed and however the token was
 * given (static header, sync or async function).
 */
import { createServer } from "node:net"
import { inspect } from "node:util"
import { startHostileServer, type HostileBehaviour, type HostileServer } from "@durable-client/testing"
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest"
import { DurableStream, isDurableStreamError, type DurableStreamErrorCode, type HeadersRecord } from "../../src/index"

const TOKEN = "tok_9f8e7d6c5b4a3921_SECRET"
const OFFSET = "0000000000000000_0000000000000010"

let hostile: HostileServer
let closedPortUrl: string
const printed: string[] = []

beforeAll(async () => {
  hostile = await startHostileServer()
  // A port that refuses connections: a real NETWORK failure.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  closedPortUrl = `http://127.0.0.1:${port}`
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map((arg) => (typeof arg === "string" ? arg : inspect(arg, { depth: 8 }))).join(" "))
    })
  }
})
afterEach(() => {
  expect(printed.join("\n")).not.toContain(TOKEN)
})
afterAll(async () => {
  vi.restoreAllMocks()
  await hostile.close()
})

const headerStyles: Array<[string, () => HeadersRecord]> = [
  ["a static header", () => ({ authorization: `Bearer ${TOKEN}`, "x-api-key": TOKEN })],
  ["a sync function", () => ({ authorization: () => `Bearer ${TOKEN}`, "x-api-key": () => TOKEN })],
  ["an async function", () => ({ authorization: async () => `Bearer ${TOKEN}`, "x-api-key": async () => TOKEN })],
]

interface Provocation {
  code: DurableStreamErrorCode
  behaviour?: HostileBehaviour
  run: (stream: DurableStream) => Promise<unknown>
  base?: () => string
  extraHeaders?: HeadersRecord
}

const echo = (status: number): HostileBehaviour => ({ kind: "echo", status })
const provocations: Provocation[] = [
  { code: "BAD_REQUEST", behaviour: echo(400), run: (s) => s.append("x") },
  { code: "INVALID_OFFSET", behaviour: echo(400), run: (s) => s.read().bytes() },
  { code: "UNAUTHORIZED", behaviour: echo(401), run: (s) => s.read().bytes() },
  { code: "FORBIDDEN", behaviour: echo(403), run: (s) => s.create() },
  { code: "NOT_FOUND", behaviour: echo(404), run: (s) => s.read().bytes() },
  { code: "CONFLICT", behaviour: echo(409), run: (s) => s.create() },
  { code: "SEQUENCE_CONFLICT", behaviour: echo(409), run: (s) => s.append("x", { seq: "2" }) },
  { code: "GONE", behaviour: echo(410), run: (s) => s.read().bytes() },
  { code: "PAYLOAD_TOO_LARGE", behaviour: echo(413), run: (s) => s.append("x") },
  { code: "RATE_LIMITED", behaviour: echo(429), run: (s) => s.delete() },
  { code: "UNEXPECTED_STATUS", behaviour: echo(500), run: (s) => s.delete() },
  { code: "UNEXPECTED_STATUS", behaviour: echo(418), run: (s) => s.append("x") },
  {
    code: "STREAM_CLOSED",
    behaviour: { kind: "respond", status: 409, headers: { "stream-closed": "true" }, body: `closed; you sent Bearer ${TOKEN}` },
    run: (s) => s.append("x"),
  },
  {
    code: "STALE_EPOCH",
    behaviour: { kind: "respond", status: 403, headers: { "producer-epoch": "3" }, body: `fenced: ${TOKEN}` },
    run: (s) => s.append("x"),
  },
  {
    code: "PARSE_ERROR",
    behaviour: { kind: "respond", status: 200, headers: { "content-type": "text/plain" }, body: TOKEN },
    run: (s) => s.read().bytes(),
  },
  { code: "TIMEOUT", behaviour: { kind: "hang" }, run: (s) => s.append("x") },
  { code: "REDIRECTED", behaviour: { kind: "redirect", status: 303, location: `/to?token=${TOKEN}` }, run: (s) => s.append("x") },
  { code: "PROTOCOL_VIOLATION", behaviour: { kind: "noProgress" }, run: (s) => s.read({ offset: OFFSET }).bytes() },
  { code: "NETWORK", run: (s) => s.head(), base: () => closedPortUrl },
  {
    code: "ABORTED",
    behaviour: { kind: "hang" },
    run: (s) => {
      const controller = new AbortController()
      const pending = s.head({ signal: controller.signal })
      setTimeout(() => controller.abort(), 20)
      return pending
    },
  },
  {
    code: "CALLBACK_FAILED",
    run: (s) => s.head(),
    extraHeaders: {
      "x-refresh": () => {
        throw new Error("refresh failed")
      },
    },
  },
  { code: "INVALID_ARGUMENT", run: (s) => s.append("x", { headers: { authorization: `Bearer ${TOKEN}\r\n` } }) },
]

let counter = 0
describe.each(headerStyles)("a token given as %s", (_style, headers) => {
  it.each(provocations)("never appears in a $code error", async ({ code, behaviour, run, base, extraHeaders }) => {
    const path = `/v1/stream/secret-${++counter}`
    if (behaviour) hostile.script(path, behaviour)
    const stream = new DurableStream({
      url: (base?.() ?? hostile.url) + path,
      contentType: "text/plain",
      headers: { ...headers(), ...extraHeaders },
      retry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 5 },
      timeouts: { headersMs: 100 },
    })
    let caught: unknown
    try {
      await run(stream)
    } catch (error) {
      caught = error
    }
    expect(isDurableStreamError(caught), String(caught)).toBe(true)
    const error = caught as Error & { code: string }
    expect(error.code).toBe(code)
    for (const view of [error.message, String(error), error.stack ?? "", JSON.stringify(error), inspect(error, { depth: 8 })]) {
      expect(view).not.toContain(TOKEN)
    }
    if (behaviour?.kind === "echo") expect(error.message).toContain("[redacted]")
  })
})
