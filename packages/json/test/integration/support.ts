import { expectErrorCode } from "@durable-client/testing/vitest"
import { expect } from "vitest"
import {
  JsonStream,
  type DurableStreamError,
  type DurableStreamErrorCode,
  type LiveMode,
  type RetryOptions,
} from "../../src/index"

/** Short backoff so retrying tests take milliseconds, not seconds. */
export const FAST_RETRY: RetryOptions = { initialDelayMs: 5, maxDelayMs: 50, maxRetries: 20 }

export const LIVE_MODES: readonly Exclude<LiveMode, false>[] = ["long-poll", "sse", "auto"]
export const ALL_MODES: readonly LiveMode[] = [false, ...LIVE_MODES]

/** One message of a numbered sequence; `p` tells producers apart. */
export interface Numbered {
  p?: string
  i: number
}

/**
 * Checks that `indexes` is exactly 0..count-1 in order. On failure it says
 * what went wrong (length, first divergence, duplicates, missing) instead of
 * diffing two arrays of 100 000 numbers.
 */
export function expectExactSequence(indexes: readonly number[], count: number, label: string): void {
  let firstDivergence = -1
  for (let k = 0; k < Math.max(indexes.length, count); k++) {
    if (indexes[k] !== k) {
      firstDivergence = k
      break
    }
  }
  if (firstDivergence === -1) {
    expect(indexes.length).toBe(count)
    return
  }
  const seen = new Map<number, number>()
  for (const index of indexes) seen.set(index, (seen.get(index) ?? 0) + 1)
  let duplicates = 0
  for (const times of seen.values()) if (times > 1) duplicates += times - 1
  let missing = 0
  for (let k = 0; k < count; k++) if (!seen.has(k)) missing++
  expect.fail(
    `${label}: expected 0..${count - 1} exactly once in order, got ${indexes.length} messages; ` +
      `first divergence at position ${firstDivergence} (got ${String(indexes[firstDivergence])}), ` +
      `${duplicates} duplicated, ${missing} missing`
  )
}

/** The `i` of each message, checking each is a well-formed Numbered message (of producer `p`, if given). */
export function indexesOf(messages: readonly unknown[], p?: string): number[] {
  return messages.map((message, position) => {
    const m = message as Numbered
    if (typeof m !== "object" || m === null || typeof m.i !== "number" || (p !== undefined && m.p !== p)) {
      expect.fail(`message at position ${position} is not a ${p ?? ""} sequence message: ${JSON.stringify(message)}`)
    }
    return m.i
  })
}

/** Awaits a rejection and checks it is a DurableStreamError with `code`. */
export function expectStreamError(promise: Promise<unknown>, code: DurableStreamErrorCode): Promise<DurableStreamError> {
  return expectErrorCode<DurableStreamError>(promise, code)
}

export { waitFor } from "@durable-client/testing/vitest"

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** A stream URL routed through `proxyUrl` (the proxy forwards paths unchanged). */
export function viaProxy(proxyUrl: string, streamUrl: string): string {
  return proxyUrl + new URL(streamUrl).pathname
}

/** A handle on an existing stream that reads and writes through another origin (a proxy). */
export function jsonHandle<T = unknown>(url: string, contentType = "application/json"): JsonStream<T> {
  return new JsonStream<T>({ url, contentType, retry: FAST_RETRY })
}

/**
 * Records unhandled rejections and uncaught exceptions while `body` runs.
 * Vitest also watches for these, but only reports them at the end of the
 * run; this makes the test that caused one fail by name.
 */
export async function withCrashWatch<R>(body: () => Promise<R>): Promise<{ result: R; crashes: unknown[] }> {
  const crashes: unknown[] = []
  const onRejection = (reason: unknown): void => {
    crashes.push(reason)
  }
  const onException = (error: unknown): void => {
    crashes.push(error)
  }
  process.on("unhandledRejection", onRejection)
  process.on("uncaughtException", onException)
  try {
    const result = await body()
    // Let late rejections (a promise settled after the last await) surface.
    await delay(50)
    return { result, crashes }
  } finally {
    process.off("unhandledRejection", onRejection)
    process.off("uncaughtException", onException)
  }
}
