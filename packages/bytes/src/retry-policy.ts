import { DEFAULTS } from "./defaults"
import { invalidArgument, type DurableStreamError } from "./errors"
import { duration, optionsObject } from "./validate"

/*
 * The retry policy, in one place: which failures are retryable for which
 * kind of request, the backoff, how `Retry-After` is read and capped, and the
 * budget. `http.ts` (every request), `durable-stream.ts` (appends and
 * closes), the live loop and the producer in @durable-client/json ask this
 * module; none of them decides on its own. Defaults live in `defaults.ts`.
 */

/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random
 * time in [0, min(maxDelayMs, initialDelayMs * multiplier^n)], so many
 * clients recovering from one outage do not retry in lockstep. A server's
 * `Retry-After` is a floor on top of that, up to `maxRetryAfterMs`.
 */
export interface RetryOptions {
  /** Retries after the first attempt; `Infinity` retries forever. Default 8. */
  maxRetries?: number
  /** Upper bound of the first backoff window. Default 100 ms. */
  initialDelayMs?: number
  /** Cap of any backoff window. Default 10 000 ms. */
  maxDelayMs?: number
  /** Growth of the window per attempt. Default 2. */
  multiplier?: number
  /**
   * Longest `Retry-After` honoured. A server asking for a longer wait gets
   * no retry: the operation fails with the server's error (its
   * `retryAfterMs` says how long it asked for). Default 60 000 ms.
   */
  maxRetryAfterMs?: number
}

export type ResolvedRetry = Readonly<Required<RetryOptions>>

export const DEFAULT_RETRY: ResolvedRetry = DEFAULTS.retry

/**
 * Validates up front so a bad setting fails at construction, not
 * mid-outage. `base` supplies the defaults (a layer may choose its own).
 */
export function resolveRetry(
  url: string,
  options: RetryOptions | undefined,
  field = "retry",
  base: ResolvedRetry = DEFAULT_RETRY
): ResolvedRetry {
  // The defaults are frozen: every handle without its own can share them.
  if (options === undefined) return base
  const given = optionsObject(url, options, field)
  const maxRetries = given.maxRetries ?? base.maxRetries
  if (
    typeof maxRetries !== "number" ||
    !(maxRetries >= 0) ||
    (Number.isFinite(maxRetries) && !Number.isSafeInteger(maxRetries))
  ) {
    throw invalidArgument(url, `${field}.maxRetries must be a whole number >= 0 or Infinity (got ${String(maxRetries)})`)
  }
  const initialDelayMs = duration(url, given.initialDelayMs ?? base.initialDelayMs, `${field}.initialDelayMs`)
  const maxDelayMs = duration(url, given.maxDelayMs ?? base.maxDelayMs, `${field}.maxDelayMs`)
  if (maxDelayMs < initialDelayMs) {
    throw invalidArgument(
      url,
      `${field}.maxDelayMs must be >= initialDelayMs (got ${String(maxDelayMs)} < ${String(initialDelayMs)})`
    )
  }
  const multiplier = given.multiplier ?? base.multiplier
  if (typeof multiplier !== "number" || !(multiplier >= 1) || !Number.isFinite(multiplier)) {
    throw invalidArgument(url, `${field}.multiplier must be a finite number >= 1 (got ${String(multiplier)})`)
  }
  const maxRetryAfterMs = duration(url, given.maxRetryAfterMs ?? base.maxRetryAfterMs, `${field}.maxRetryAfterMs`, {
    min: 0,
  })
  return Object.freeze({ maxRetries, initialDelayMs, maxDelayMs, multiplier, maxRetryAfterMs })
}

/** Delay before retry number `attempt` (0-based), honouring a server floor. */
export function backoffDelay(
  retry: ResolvedRetry,
  attempt: number,
  retryAfterMs = 0,
  random: () => number = Math.random
): number {
  const window = Math.min(
    retry.maxDelayMs,
    retry.initialDelayMs * Math.pow(retry.multiplier, attempt)
  )
  return Math.max(retryAfterMs, Math.floor(random() * window))
}

/**
 * `Retry-After` as milliseconds: either delta-seconds or an HTTP date.
 * Unparseable or past values mean "no floor".
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/**
 * Statuses worth retrying: rate limiting and server trouble. 501 means "not
 * implemented" and will never succeed, so it is excluded.
 */
function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501)
}

/** Which failures a request may retry. */
export type RetryRule = (error: DurableStreamError) => boolean

/** Failures worth retrying for a request that is safe to repeat: network, timeout, 429, 5xx but 501. */
export function defaultIsRetryable(error: DurableStreamError): boolean {
  if (error.code === "NETWORK" || error.code === "TIMEOUT") return true
  return error.status !== undefined && isRetryableStatus(error.status)
}

/**
 * Whether a failed write may have been stored anyway: no answer at all, or a
 * 5xx, which a proxy may send after the server stored the request. A 4xx
 * (429 included) is a refusal: nothing was stored.
 */
export function mayHaveBeenStored(error: DurableStreamError): boolean {
  return error.code === "NETWORK" || error.code === "TIMEOUT" || (error.status !== undefined && error.status >= 500)
}

/**
 * The rule for a request: reads, creates, HEAD, DELETE and a close without
 * data are safe to repeat. An append (or a close with data) without
 * producer headers is not: resending one that may have been stored could
 * double its data, so only a refusal (429) is retried unless the caller
 * opted in with `retryAppends`. The idempotent producer retries everything
 * retryable, because the server drops its duplicates.
 */
export function retryRuleFor(request: "repeatable" | "unsafe-write", retryAppends = false): RetryRule {
  if (request === "repeatable" || retryAppends) return defaultIsRetryable
  return (error) => defaultIsRetryable(error) && !mayHaveBeenStored(error)
}

/**
 * The decision after failed attempt number `attempt` (0-based): the delay
 * before trying again, or `undefined` to give up. Gives up when the failure
 * is not retryable, when the budget is spent, or when the server's
 * `Retry-After` exceeds `maxRetryAfterMs` (a typed failure now, not a caller
 * left waiting a day with no word). Otherwise the full-jitter backoff, with
 * `Retry-After` as its floor.
 */
export function nextRetryDelay(
  retry: ResolvedRetry,
  error: DurableStreamError,
  attempt: number,
  isRetryable: RetryRule = defaultIsRetryable
): number | undefined {
  if (!isRetryable(error)) return undefined
  if ((error.retryAfterMs ?? 0) > retry.maxRetryAfterMs) return undefined
  if (attempt >= retry.maxRetries) return undefined
  return backoffDelay(retry, attempt, error.retryAfterMs)
}
