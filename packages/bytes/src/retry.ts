import { invalidArgument } from "./errors"

/**
 * Exponential backoff with full jitter: attempt n waits a uniformly random
 * time in [0, min(maxDelayMs, initialDelayMs * multiplier^n)], so many
 * clients recovering from one outage do not retry in lockstep. A server's
 * `Retry-After` is a floor on top of that.
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
}

export type ResolvedRetry = Required<RetryOptions>

export const DEFAULT_RETRY: ResolvedRetry = {
  maxRetries: 8,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
  multiplier: 2,
}

/** Validates up front so a bad setting fails at construction, not mid-outage. */
export function resolveRetry(
  url: string,
  options: RetryOptions | undefined,
  field = "retry"
): ResolvedRetry {
  const merged = { ...DEFAULT_RETRY, ...stripUndefined(options ?? {}) }
  const { maxRetries, initialDelayMs, maxDelayMs, multiplier } = merged
  if (!(maxRetries >= 0) || (Number.isFinite(maxRetries) && !Number.isInteger(maxRetries))) {
    throw invalidArgument(url, `${field}.maxRetries must be a whole number >= 0 (got ${String(maxRetries)})`)
  }
  if (!(initialDelayMs > 0) || !Number.isFinite(initialDelayMs)) {
    throw invalidArgument(url, `${field}.initialDelayMs must be > 0 (got ${String(initialDelayMs)})`)
  }
  if (!(maxDelayMs >= initialDelayMs)) {
    throw invalidArgument(
      url,
      `${field}.maxDelayMs must be >= initialDelayMs (got ${String(maxDelayMs)} < ${String(initialDelayMs)})`
    )
  }
  if (!(multiplier >= 1) || !Number.isFinite(multiplier)) {
    throw invalidArgument(url, `${field}.multiplier must be >= 1 (got ${String(multiplier)})`)
  }
  return merged
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  const out: Partial<T> = {}
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] !== undefined) out[key] = value[key]
  }
  return out
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
