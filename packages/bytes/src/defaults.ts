/**
 * Every default timeout, limit and retry budget of the bytes layer, in one
 * frozen table. Options resolve against it in `options.ts`; the README's
 * "Limits and defaults" table lists the same numbers with the reasons below.
 */
export const DEFAULTS = Object.freeze({
  retry: Object.freeze({
    /** Retries after the first attempt: about 25 s of full-jitter backoff at the defaults below. */
    maxRetries: 8,
    /** Upper bound of the first backoff window. */
    initialDelayMs: 100,
    /** Cap of any backoff window. */
    maxDelayMs: 10_000,
    /** Growth of the window per attempt. */
    multiplier: 2,
    /**
     * Longest `Retry-After` the SDK will sit out. A server asking for more
     * (a day, after a misconfiguration) gets a typed error instead of a
     * caller that waits silently.
     */
    maxRetryAfterMs: 60_000,
  }),
  timeouts: Object.freeze({
    /**
     * From sending a request to its response headers (the request body's
     * upload included). Every operation but a long-poll answers at once on a
     * healthy server; 30 s leaves room for a slow mobile uplink with a 1 MiB
     * batch, while Node's own fetch would wait 300 s and browsers forever.
     */
    headersMs: 30_000,
    /** Longest silence while a response body is arriving (slowloris, a stalled proxy). */
    bodyIdleMs: 30_000,
    /**
     * Client limit of one long-poll request; on expiry the poll is simply
     * reissued. It must exceed the longest a cache can hold a healthy poll:
     * its lock wait plus the server's wait. Measured behind nginx in front
     * of the reference server (30 s wait), 200 idle readers: 30.1 s with the
     * README's configuration; 35.4 s with nginx's default 5 s lock timeout;
     * lock timeout + server wait whenever the collapsed answer is not
     * cacheable (65 s at a 35 s lock, 90.6 s at 60 s: at the old 60 s
     * default, nearly every idle poll was aborted and resent). nginx holds a
     * request at most proxy_cache_lock_timeout + proxy_read_timeout, then
     * answers 504 (95.5 s measured with the README's 35 s + 60 s), so 100 s
     * stays above every case for any server wait.
     */
    longPollMs: 100_000,
    /**
     * An SSE connection that sends no byte for this long is presumed dead
     * and reopened from the last control offset. Servers send a control
     * event at least every 30 s while idle (the reference server's wait), so
     * twice that never fires on a healthy connection.
     */
    sseIdleMs: 60_000,
  }),
  /**
   * Bytes an SSE session holds between two control events. A server sends a
   * control event after every batch of data; one that never does would grow
   * the heap without end (136 MB in 30 s was measured), so past this the
   * session fails with PROTOCOL_VIOLATION.
   */
  maxSseBufferBytes: 32 * 1024 * 1024,
  /**
   * Answers in a row that make no progress (no data, same offset, not up to
   * date) before a read fails with PROTOCOL_VIOLATION. Each one backs off
   * like a retry, so a broken server is not hammered meanwhile.
   */
  maxNoProgressResponses: 8,
  /** How a live session follows the page and the device; see `LifecycleOptions`. */
  lifecycle: Object.freeze({
    /** A hidden page holds no live connection: it costs the server and the battery, and shows nothing. */
    pauseWhenHidden: true,
    /** Often enough to notice a wake within seconds; cheap enough to run beside every live request. */
    wakeCheckMs: 5_000,
    /**
     * A check this much later than due means the device slept or the
     * process was frozen; a busy main thread is rarely late by this much.
     * Browsers throttle the timers of hidden tabs, so a late check while the
     * page is hidden does not count.
     */
    wakeGapMs: 30_000,
  }),
  /**
   * After `auto` falls back from SSE to long-poll, it tries SSE again after
   * this long, doubling up to the cap each time the try fails: a network
   * that buffered SSE (a hotel proxy) may be gone an hour later.
   */
  sseRetry: Object.freeze({ initialMs: 60_000, maxMs: 15 * 60_000 }),
})

/** setTimeout clamps larger delays to 1 ms in every runtime, which would turn a wait into a spin. */
export const MAX_TIMER_MS = 2 ** 31 - 1
