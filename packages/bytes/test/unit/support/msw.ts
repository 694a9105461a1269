/**
 * Shared msw plumbing for the unit tests: one server per test file, unique
 * stream URLs, request recording, and streaming bodies whose byte chunks the
 * test chooses exactly (and which end when the client aborts, as a real
 * fetch body does; msw alone would leave them hanging).
 */
import { HttpResponse } from "msw"
import { expect } from "vitest"
import { ReadSession, isDurableStreamError, type DurableStreamError, type StreamChunk } from "../../../src/index"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export { useMswServer } from "@durable-client/testing/vitest"

let urlCounter = 0
/** A stream URL no other test uses. */
export function streamUrl(name: string): string {
  urlCounter++
  return `http://streams.test/v1/stream/${name}-${urlCounter}`
}

export interface SeenRequest {
  method: string
  url: URL
  headers: Headers
  body: Uint8Array
}

/** Records a request (its body too) for later assertions. */
export async function record(log: SeenRequest[], request: Request): Promise<SeenRequest> {
  const body = request.method === "GET" || request.method === "HEAD"
    ? new Uint8Array(0)
    : new Uint8Array(await request.clone().arrayBuffer())
  const seen = { method: request.method, url: new URL(request.url), headers: request.headers, body }
  log.push(seen)
  return seen
}

/** The query string keys in the order they were sent. */
export function queryKeys(url: URL): string[] {
  return [...url.searchParams.keys()]
}

export function bytes(text: string): Uint8Array {
  return encoder.encode(text)
}

export function text(data: Uint8Array): string {
  return decoder.decode(data)
}

/** One SSE event; multi-line data becomes several `data:` lines. */
export function sseEvent(event: string, data: string, eol = "\n"): string {
  const lines = data.split("\n").map((line) => `data: ${line}${eol}`)
  return `event: ${event}${eol}${lines.join("")}${eol}`
}

export interface ControlFields {
  streamNextOffset?: string
  streamCursor?: string
  upToDate?: boolean
  streamClosed?: boolean
  [extra: string]: unknown
}

export function controlEvent(fields: ControlFields, eol = "\n"): string {
  return sseEvent("control", JSON.stringify(fields), eol)
}

export function dataEvent(data: string, eol = "\n"): string {
  return sseEvent("data", data, eol)
}

function abortError(): Error {
  const error = new Error("The operation was aborted")
  error.name = "AbortError"
  return error
}

/**
 * A body the test feeds by hand. Chunks are handed out one per read, and a
 * close or error takes effect only after the queued chunks were read (a
 * stream error would otherwise discard them). When the request aborts the
 * body errors at once, as a real fetch body does.
 */
export class ControlledBody {
  readonly stream: ReadableStream<Uint8Array>
  /** Resolves when the body ended for any reason (closed, errored, cancelled, aborted). */
  readonly finished: Promise<void>
  private controller!: ReadableStreamDefaultController<Uint8Array>
  private readonly queue: Uint8Array[] = []
  private ending: { error?: Error } | undefined
  private ended = false
  private cancelled = false
  private wake: (() => void) | undefined
  private finish!: () => void

  constructor(signal?: AbortSignal) {
    this.finished = new Promise((resolve) => {
      this.finish = resolve
    })
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller
        },
        pull: async (controller) => {
          while (this.queue.length === 0 && this.ending === undefined && !this.ended) {
            await new Promise<void>((resolve) => {
              this.wake = resolve
            })
          }
          if (this.ended) return
          const next = this.queue.shift()
          if (next) {
            controller.enqueue(next)
            return
          }
          this.end()
          if (this.ending?.error) controller.error(this.ending.error)
          else controller.close()
        },
        cancel: () => {
          this.cancelled = true
          this.end()
        },
      },
      { highWaterMark: 0 }
    )
    signal?.addEventListener(
      "abort",
      () => {
        if (this.ended) return
        this.end()
        this.controller.error(abortError())
      },
      { once: true }
    )
  }

  /** The body ended (read to its end, errored, aborted or cancelled by the reader). */
  get isEnded(): boolean {
    return this.ended
  }

  /** The reader cancelled the body (it gave the connection up). */
  get wasCancelled(): boolean {
    return this.cancelled
  }

  push(chunk: string | Uint8Array): void {
    if (this.ended || this.ending) return
    this.queue.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk)
    this.poke()
  }

  /** Ends the body cleanly after the queued chunks. */
  close(): void {
    if (this.ended || this.ending) return
    this.ending = {}
    this.poke()
  }

  /** Errors the body after the queued chunks (a connection cut mid-way). */
  error(error: Error): void {
    if (this.ended || this.ending) return
    this.ending = { error }
    this.poke()
  }

  private poke(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  private end(): void {
    if (this.ended) return
    this.ended = true
    this.poke()
    this.finish()
  }
}

export interface StreamingOptions {
  /** Close the body after the chunks (default true). */
  close?: boolean
  /** Error the body after the chunks instead of closing it. */
  errorAfter?: Error
  status?: number
  headers?: Record<string, string>
}

/** A response whose body delivers exactly these chunks, one read each. */
export function streamingResponse(
  request: Request,
  chunks: ReadonlyArray<string | Uint8Array>,
  options: StreamingOptions = {}
): HttpResponse<ReadableStream<Uint8Array>> {
  const body = new ControlledBody(request.signal)
  for (const chunk of chunks) body.push(chunk)
  if (options.errorAfter) body.error(options.errorAfter)
  else if (options.close ?? true) body.close()
  return new HttpResponse(body.stream, {
    status: options.status ?? 200,
    headers: options.headers,
  })
}

export const SSE_HEADERS = { "content-type": "text/event-stream" }

/** An SSE response with these raw chunks. */
export function sseResponse(
  request: Request,
  chunks: ReadonlyArray<string | Uint8Array>,
  options: StreamingOptions = {}
): HttpResponse<ReadableStream<Uint8Array>> {
  return streamingResponse(request, chunks, {
    ...options,
    headers: { ...SSE_HEADERS, ...options.headers },
  })
}

/**
 * A server that never answers: settles only when the client aborts (the
 * client's fetch has rejected by then, so the placeholder is never seen).
 */
export function hangUntilAborted(request: Request): Promise<Response> {
  return new Promise((resolve) => {
    const done = (): void => resolve(HttpResponse.error())
    if (request.signal.aborted) done()
    request.signal.addEventListener("abort", done, { once: true })
  })
}

/** Protocol response headers for a read. */
export function readHeaders(fields: {
  offset?: string
  upToDate?: boolean
  closed?: boolean
  cursor?: string
  contentType?: string
}): Record<string, string> {
  const headers: Record<string, string> = {
    "content-type": fields.contentType ?? "application/octet-stream",
  }
  if (fields.offset !== undefined) headers["Stream-Next-Offset"] = fields.offset
  if (fields.upToDate) headers["Stream-Up-To-Date"] = "true"
  if (fields.closed) headers["Stream-Closed"] = "true"
  if (fields.cursor !== undefined) headers["Stream-Cursor"] = fields.cursor
  return headers
}

/** Pulls chunks from a session until `count` arrived; the iterator stays open. */
export async function take(
  iterator: AsyncIterator<StreamChunk>,
  count: number
): Promise<StreamChunk[]> {
  const out: StreamChunk[] = []
  while (out.length < count) {
    const result = await iterator.next()
    if (result.done) throw new Error(`session ended after ${out.length} of ${count} chunks`)
    out.push(result.value)
  }
  return out
}

/** All chunks until the session ends. */
export async function drain(session: ReadSession): Promise<StreamChunk[]> {
  const out: StreamChunk[] = []
  for await (const chunk of session) out.push(chunk)
  return out
}

export function concat(parts: ReadonlyArray<Uint8Array>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** The rejection of `promise`, failing if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error("expected the promise to reject, but it resolved")
}

/** The DurableStreamError a promise rejects with (fails the test for anything else). */
export async function failure(promise: Promise<unknown>): Promise<DurableStreamError> {
  const error = await rejectionOf(promise)
  expect(isDurableStreamError(error)).toBe(true)
  return error as DurableStreamError
}

/** Lets pending promise callbacks and I/O callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}

/** Polls `condition` via setImmediate (creates no timers) until it holds, for up to `limitMs`. */
export async function until(condition: () => boolean, what = "condition", limitMs = 5000): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

export const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 5 }

export type Answer = (request: Request, index: number) => Response | Promise<Response>

/**
 * Answers successive requests with `answers` in order; once they run out,
 * requests hang until the client aborts them (a quiet live stream).
 */
export function scripted(answers: ReadonlyArray<Answer>, log: SeenRequest[]): (info: { request: Request }) => Promise<Response> {
  return async ({ request }) => {
    const index = log.length
    await record(log, request)
    const answer = answers[index]
    if (!answer) return hangUntilAborted(request)
    return answer(request, index)
  }
}

/** A read response with body and protocol headers. */
export function reply(
  body: string | Uint8Array,
  fields: { offset?: string; upToDate?: boolean; closed?: boolean; cursor?: string; contentType?: string; status?: number }
): Answer {
  return () =>
    new HttpResponse(typeof body === "string" ? body : body.slice(), {
      status: fields.status ?? 200,
      headers: readHeaders(fields),
    })
}

/** A long-poll 204 (timeout, or EOF with `closed`). */
export function noContent(fields: { offset?: string; cursor?: string; closed?: boolean; upToDate?: boolean }): Answer {
  return () =>
    new HttpResponse(null, {
      status: 204,
      headers: readHeaders({ upToDate: true, ...fields }),
    })
}
