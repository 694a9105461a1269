import { DEFAULTS } from "./defaults"
import { invalidArgument } from "./errors"
import { duration, optionsObject } from "./validate"

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
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status !== 501)
}
