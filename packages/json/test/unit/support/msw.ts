/**
 * msw plumbing shared by the JSON unit tests: one server per test file that
 * fails on any request no handler expects, unique stream URLs, request
 * recording and small helpers for protocol responses.
 */
import { HttpResponse } from "msw"
// Node's timers, which vi.useFakeTimers() leaves alone (it replaces the globals).
import { clearTimeout as realClearTimeout, setImmediate as realSetImmediate, setTimeout as realSetTimeout } from "node:timers"
import { expect } from "vitest"
import { isDurableStreamError, type DurableStreamError } from "../../../src/index"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export { useMswServer } from "@durable-client/testing/vitest"

let counter = 0
/** A stream URL no other test in this process uses. */
export function streamUrl(name: string): string {
  counter++
  return `http://json.test/streams/${name}-${counter}`
}

export interface SeenRequest {
  method: string
  url: URL
  headers: Headers
  body: Uint8Array
  text: string
}

/** Records a request, body included, for later assertions. */
export async function record(log: SeenRequest[], request: Request): Promise<SeenRequest> {
  const body =
    request.method === "GET" || request.method === "HEAD"
      ? new Uint8Array(0)
      : new Uint8Array(await request.clone().arrayBuffer())
  const seen: SeenRequest = {
    method: request.method,
    url: new URL(request.url),
    headers: request.headers,
    body,
    text: decoder.decode(body),
  }
  log.push(seen)
  return seen
}

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

export function fromUtf8(data: Uint8Array): string {
  return decoder.decode(data)
}

/** Awaits a promise that must reject and returns the DurableStreamError it rejected with. */
export async function failure(promise: Promise<unknown>): Promise<DurableStreamError> {
  let settled: { ok: true; value: unknown } | { ok: false; error: unknown }
  try {
    settled = { ok: true, value: await promise }
  } catch (error) {
    settled = { ok: false, error }
  }
  if (settled.ok) {
    throw new Error(`expected a rejection, got ${JSON.stringify(settled.value)}`)
  }
  expect(isDurableStreamError(settled.error)).toBe(true)
  return settled.error as DurableStreamError
}

/** Runs `fn`, which must throw synchronously, and returns the DurableStreamError. */
export function thrown(fn: () => unknown): DurableStreamError {
  try {
    fn()
  } catch (error) {
    expect(isDurableStreamError(error)).toBe(true)
    return error as DurableStreamError
  }
  throw new Error("expected the call to throw")
}

/** A JSON read response (catch-up GET) with protocol headers. */
export function jsonResponse(
  body: string,
  nextOffset: string,
  options: { upToDate?: boolean; closed?: boolean; contentType?: string } = {}
): HttpResponse<string> {
  const headers: Record<string, string> = {
    "Content-Type": options.contentType ?? "application/json",
    "Stream-Next-Offset": nextOffset,
  }
  if (options.upToDate) headers["Stream-Up-To-Date"] = "true"
  if (options.closed) headers["Stream-Closed"] = "true"
  return new HttpResponse(body, { status: 200, headers })
}

/** One SSE event in wire format. */
export function sseEvent(event: string, data: string): string {
  return `event: ${event}\n${data
    .split("\n")
    .map((line) => `data: ${line}\n`)
    .join("")}\n`
}

/**
 * A finished SSE response whose whole body is ONE chunk. msw's interceptor
 * never settles `reader.cancel()` when more chunks are still queued (a real
 * fetch does), and the client cancels the body after the closing control
 * event, so a single chunk keeps these tests from hanging on msw.
 */
export function sseResponse(events: string): HttpResponse<ReadableStream<Uint8Array>> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(events))
      controller.close()
    },
  })
  return new HttpResponse(body, { status: 200, headers: { "Content-Type": "text/event-stream" } })
}

/** A promise plus the functions that settle it, for gating fake servers. */
export interface Gate {
  promise: Promise<void>
  open: () => void
}

export function gate(): Gate {
  let open!: () => void
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/**
 * Lets every pending callback and promise job run, `turns` event-loop turns
 * deep, without waiting for any clock. Node's own timers are used, so this
 * works the same under `vi.useFakeTimers()`.
 */
export async function settleTurns(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => realSetImmediate(resolve))
}

/**
 * Checks `condition` after every event-loop turn until it holds; fails the
 * test if it still does not after `timeoutMs` of real time. For states no
 * event announces (how many timers are pending); works under fake timers.
 */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  let expired = false
  const deadline = realSetTimeout(() => {
    expired = true
  }, timeoutMs)
  try {
    while (!condition()) {
      if (expired) throw new Error("condition not met in time")
      await settleTurns(1)
    }
  } finally {
    realClearTimeout(deadline)
  }
}

/** Retry settings that keep tests fast. */
export const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 5 } as const
