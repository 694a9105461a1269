import fc from "fast-check"
import { http, HttpResponse } from "msw"
import { afterEach, describe, expect, it, vi } from "vitest"
import { DurableStream, DurableStreamError, type DurableStreamErrorCode } from "../../src/index"
import {
  DEFAULT_RETRY,
  backoffDelay,
  defaultIsRetryable,
  mayHaveBeenStored,
  nextRetryDelay,
  parseRetryAfter,
  resolveRetry,
  retryRuleFor,
} from "../../src/retry-policy"
import { FAST_RETRY, readHeaders, rejectionOf, streamUrl, until, useMswServer } from "./support/msw"

const server = useMswServer()

describe("backoffDelay", () => {
  const retry = resolveRetry("http://x.test/s", { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 })

  it("draws from the full jitter window [0, initial * multiplier^attempt]", () => {
    expect(backoffDelay(retry, 0, 0, () => 0)).toBe(0)
    expect(backoffDelay(retry, 0, 0, () => 0.5)).toBe(50)
    expect(backoffDelay(retry, 1, 0, () => 0.5)).toBe(100)
    expect(backoffDelay(retry, 2, 0, () => 0.5)).toBe(200)
    expect(backoffDelay(retry, 2, 0, () => 0.9999)).toBe(399)
  })

  it("caps the window at maxDelayMs", () => {
    expect(backoffDelay(retry, 4, 0, () => 0.9999)).toBe(999)
    expect(backoffDelay(retry, 40, 0, () => 0.9999)).toBe(999)
    expect(backoffDelay(retry, 40, 0, () => 0.5)).toBe(500)
  })

  it("never goes below a Retry-After floor", () => {
    expect(backoffDelay(retry, 0, 3000, () => 0)).toBe(3000)
    expect(backoffDelay(retry, 40, 3000, () => 0.9999)).toBe(3000)
    expect(backoffDelay(retry, 3, 200, () => 0.9999)).toBe(799)
  })

  it("stays inside the window for any attempt, random draw and floor", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.nat({ max: 60 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        fc.nat({ max: 50_000 }),
        (initialDelayMs, extra, multiplier, attempt, draw, floor) => {
          const r = resolveRetry("http://x.test/s", {
            initialDelayMs,
            maxDelayMs: initialDelayMs + extra,
            multiplier,
          })
          const delay = backoffDelay(r, attempt, floor, () => draw)
          const window = Math.min(r.maxDelayMs, initialDelayMs * multiplier ** attempt)
          expect(delay).toBeGreaterThanOrEqual(floor)
          expect(delay).toBeLessThanOrEqual(Math.max(floor, window))
        }
      )
    )
  })

  it("uses real randomness by default (jitter spreads clients out)", () => {
    const seen = new Set<number>()
    for (let i = 0; i < 50; i++) seen.add(backoffDelay(retry, 3))
    expect(seen.size).toBeGreaterThan(5)
    for (const delay of seen) {
      expect(delay).toBeGreaterThanOrEqual(0)
      expect(delay).toBeLessThanOrEqual(800)
    }
  })
})

describe("parseRetryAfter", () => {
  it("reads delta seconds", () => {
    expect(parseRetryAfter("0")).toBe(0)
    expect(parseRetryAfter("1")).toBe(1000)
    expect(parseRetryAfter(" 120 ")).toBe(120_000)
  })

  it("reads an HTTP date relative to now", () => {
    const now = Date.parse("2030-05-01T12:00:00Z")
    expect(parseRetryAfter("Wed, 01 May 2030 12:00:30 GMT", now)).toBe(30_000)
    expect(parseRetryAfter(new Date(now + 5000).toUTCString(), now)).toBe(5000)
  })

  it("treats past dates as no wait and garbage or absence as no floor", () => {
    const now = Date.parse("2030-05-01T12:00:00Z")
    expect(parseRetryAfter("Wed, 01 May 2030 11:00:00 GMT", now)).toBe(0)
    expect(parseRetryAfter("soon", now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })
})

describe("the retry policy's decisions", () => {
  const url = "https://example.test/s"
  const failure = (status?: number, code: DurableStreamErrorCode = "UNEXPECTED_STATUS", retryAfterMs?: number) =>
    new DurableStreamError(code, "failed", { url, status, retryAfterMs })

  it("retries network, timeout, 429 and 5xx but 501", () => {
    expect(defaultIsRetryable(failure(undefined, "NETWORK"))).toBe(true)
    expect(defaultIsRetryable(failure(undefined, "TIMEOUT"))).toBe(true)
    for (const status of [429, 500, 502, 503]) expect(defaultIsRetryable(failure(status))).toBe(true)
    for (const status of [400, 404, 409, 501]) expect(defaultIsRetryable(failure(status))).toBe(false)
  })

  it("an unsafe write retries only a refusal, unless retryAppends", () => {
    const rule = retryRuleFor("unsafe-write")
    expect(rule(failure(429))).toBe(true)
    expect(rule(failure(503))).toBe(false)
    expect(rule(failure(undefined, "NETWORK"))).toBe(false)
    expect(mayHaveBeenStored(failure(503))).toBe(true)
    expect(mayHaveBeenStored(failure(429))).toBe(false)
    expect(retryRuleFor("unsafe-write", true)(failure(503))).toBe(true)
    expect(retryRuleFor("repeatable")(failure(undefined, "NETWORK"))).toBe(true)
  })

  it("gives up when not retryable, past the budget, or past the Retry-After cap", () => {
    const retry = { ...DEFAULT_RETRY, maxRetries: 2, maxRetryAfterMs: 1_000 }
    expect(nextRetryDelay(retry, failure(404), 0)).toBeUndefined()
    expect(nextRetryDelay(retry, failure(503), 2)).toBeUndefined()
    expect(nextRetryDelay(retry, failure(503, "UNEXPECTED_STATUS", 5_000), 0)).toBeUndefined()
    expect(nextRetryDelay(retry, failure(503, "UNEXPECTED_STATUS", 800), 0)).toBeGreaterThanOrEqual(800)
    expect(nextRetryDelay(retry, failure(503), 1)).toBeLessThanOrEqual(retry.initialDelayMs * retry.multiplier)
  })
})

describe("retry option validation", () => {
  const url = streamUrl("retry-options")
  const cases: Array<[string, Record<string, number>]> = [
    ["maxRetries", { maxRetries: -1 }],
    ["maxRetries", { maxRetries: 1.5 }],
    ["maxRetries", { maxRetries: Number.NaN }],
    ["initialDelayMs", { initialDelayMs: 0 }],
    ["initialDelayMs", { initialDelayMs: -5 }],
    ["maxDelayMs", { initialDelayMs: 100, maxDelayMs: 50 }],
    ["multiplier", { multiplier: 0.5 }],
    ["multiplier", { multiplier: Number.POSITIVE_INFINITY }],
  ]

  for (const [field, options] of cases) {
    it(`rejects ${JSON.stringify(options)} naming retry.${field} and the URL`, () => {
      let caught: unknown
      try {
        new DurableStream({ url, retry: options })
      } catch (error) {
        caught = error
      }
      expect(caught).toBeInstanceOf(DurableStreamError)
      const error = caught as DurableStreamError
      expect(error.code).toBe("INVALID_ARGUMENT")
      expect(error.message).toContain(`retry.${field}`)
      expect(error.message).toContain(url)
      expect(error.url).toBe(url)
    })
  }

  it("accepts unlimited retries and fills in defaults", () => {
    expect(resolveRetry(url, { maxRetries: Number.POSITIVE_INFINITY }).maxRetries).toBe(
      Number.POSITIVE_INFINITY
    )
    expect(resolveRetry(url, { initialDelayMs: 7 })).toEqual({ ...DEFAULT_RETRY, initialDelayMs: 7 })
  })
})

describe("Retry-After end to end", () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  /** HEAD that answers 429 with `retryAfter` once, then 200; returns the request times. */
  function rateLimitedOnce(url: string, retryAfter: () => string): number[] {
    const times: number[] = []
    server.use(
      http.head(url, () => {
        times.push(Date.now())
        if (times.length === 1) {
          return new HttpResponse(null, { status: 429, headers: { "Retry-After": retryAfter() } })
        }
        return new HttpResponse(null, { status: 200, headers: readHeaders({ offset: "0005" }) })
      })
    )
    return times
  }

  it("waits at least the Retry-After seconds before retrying (real clock)", async () => {
    const url = streamUrl("retry-after-real")
    const times = rateLimitedOnce(url, () => "1")
    const info = await new DurableStream({ url, retry: FAST_RETRY }).head()
    expect(info.offset).toBe("0005")
    expect(times).toHaveLength(2)
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990)
  })

  it("honours delta seconds as a floor over a small backoff (fake clock)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] })
    const url = streamUrl("retry-after-delta")
    const times = rateLimitedOnce(url, () => "3")
    const done = new DurableStream({ url, retry: FAST_RETRY }).head()
    await until(() => times.length === 1, "first request")
    await vi.advanceTimersByTimeAsync(2990)
    expect(times).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(20)
    await until(() => times.length === 2, "retry")
    expect((await done).offset).toBe("0005")
  })

  it("honours an HTTP-date Retry-After (fake clock)", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] })
    vi.setSystemTime(new Date("2030-05-01T12:00:00.000Z"))
    const url = streamUrl("retry-after-date")
    const times = rateLimitedOnce(url, () => new Date(Date.now() + 5000).toUTCString())
    const done = new DurableStream({ url, retry: FAST_RETRY }).head()
    await until(() => times.length === 1, "first request")
    await vi.advanceTimersByTimeAsync(4990)
    expect(times).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(20)
    await until(() => times.length === 2, "retry")
    expect((await done).offset).toBe("0005")
  })

  it("gives up with RATE_LIMITED once retries are used up, carrying retryAfterMs", async () => {
    const url = streamUrl("retry-after-exhausted")
    let requests = 0
    server.use(
      http.get(url, () => {
        requests++
        return new HttpResponse(null, { status: 429, headers: { "Retry-After": "0" } })
      })
    )
    const stream = new DurableStream({ url, retry: { ...FAST_RETRY, maxRetries: 3 } })
    const error = (await rejectionOf(stream.read().bytes())) as DurableStreamError
    expect(error.code).toBe("RATE_LIMITED")
    expect(error.status).toBe(429)
    expect(error.retryAfterMs).toBe(0)
    expect(requests).toBe(4)
  })
})
