import { sleep } from "./abort"
import { DurableStreamError } from "./errors"
import type { ClientContext, OnError, RetryWith } from "./http"
import { backoffDelay, nextRetryDelay, type RetryRule } from "./retry-policy"
import { toStreamError } from "./stream-error"

interface RecoveryOptions {
  isRetryable?: RetryRule
  onBackoff?: (error: DurableStreamError, delayMs: number) => void
  onError?: OnError
  signal?: AbortSignal
  /**
   * Sits out a backoff (default: a plain sleep on `signal`). A live read
   * passes its supervisor's, which ends a backoff early when the network
   * returns or the device wakes.
   */
  wait?: (delayMs: number) => Promise<void>
}

/**
 * Decides what happens after a failure: wait and retry (retryable, budget
 * left), retry at once with what `onError` returned, or give up. One
 * instance lives as long as a read session, so `onError` overrides (a
 * refreshed token) apply to every later request of that session.
 */
export class Recovery {
  attempt = 0
  /** `onError` rescues since the last success: after the first, they back off too. */
  private _rescues = 0
  readonly overrides: RetryWith = {}

  private readonly _context: ClientContext
  private readonly _options: RecoveryOptions

  constructor(context: ClientContext, options: RecoveryOptions = {}) {
    this._context = context
    this._options = options
  }

  /** Resolves when the caller should try again; rejects with the final error. */
  async recover(error: DurableStreamError): Promise<void> {
    if (error.code === "ABORTED") throw error
    const delay = nextRetryDelay(this._context.retry, error, this.attempt, this._options.isRetryable)
    if (delay !== undefined) {
      await this._wait(error, delay)
      this.attempt++
      return
    }
    const onError = this._options.onError ?? this._context.onError
    const decision = onError ? await askOnError(onError, error) : undefined
    if (decision && typeof decision === "object") {
      if (decision.headers) this.overrides.headers = { ...this.overrides.headers, ...decision.headers }
      if (decision.params) this.overrides.params = { ...this.overrides.params, ...decision.params }
      this.attempt = 0
      // A refreshed token should work at once; if it keeps failing, don't spin.
      if (this._rescues > 0) await this._wait(error, backoffDelay(this._context.retry, this._rescues - 1))
      this._rescues++
      return
    }
    throw error
  }

  succeeded(): void {
    this.attempt = 0
    this._rescues = 0
  }

  private async _wait(error: DurableStreamError, delay: number): Promise<void> {
    this._options.onBackoff?.(error, delay)
    try {
      await (this._options.wait ? this._options.wait(delay) : sleep(delay, this._options.signal))
    } catch (caught) {
      throw toStreamError(caught, this._context.url, {
        operation: error.operation ?? "read",
        offset: error.offset,
        signal: this._options.signal,
      })
    }
  }
}

/**
 * The caller's last word on a failure. An `onError` that throws is a bug in
 * the caller's code, not a verdict: the operation fails with CALLBACK_FAILED
 * (the thrown value as `cause`, the failure it was asked about in the
 * message), never with a raw exception from inside the SDK.
 */
async function askOnError(onError: OnError, error: DurableStreamError): Promise<RetryWith | void | undefined> {
  try {
    return await onError(error)
  } catch (caught) {
    throw new DurableStreamError(
      "CALLBACK_FAILED",
      `onError threw while handling ${error.code} for stream ${error.url} (see cause): ${error.message}`,
      { url: error.url, operation: error.operation, offset: error.offset, status: error.status, cause: caught }
    )
  }
}
