import { AbortReason } from "./abort"

/**
 * Cancellation for one request attempt: the caller's signal plus a timer
 * that can be re-armed as the exchange makes progress (headers, then each
 * body chunk). When the timer fires, the attempt's signal aborts with an
 * `AbortReason("timeout")`, which fetch and body reads surface as TIMEOUT.
 *
 * Owned by whoever holds the response: the request runner disposes it when
 * the body was read, an SSE reader when its connection ends. Disposing
 * clears the timer and unhooks the caller's signal, so a finished attempt
 * leaves nothing behind.
 */
export class AttemptDeadline {
  private readonly _controller = new AbortController()
  private _timer: ReturnType<typeof setTimeout> | undefined
  private _unlink: (() => void) | undefined

  constructor(parent: AbortSignal | undefined) {
    if (parent?.aborted) {
      this._controller.abort(parent.reason)
    } else if (parent) {
      const onAbort = (): void => this._controller.abort(parent.reason)
      parent.addEventListener("abort", onAbort, { once: true })
      this._unlink = () => parent.removeEventListener("abort", onAbort)
    }
  }

  get signal(): AbortSignal {
    return this._controller.signal
  }

  /** (Re)starts the countdown: the attempt aborts unless re-armed or disposed within `ms`. */
  arm(ms: number): void {
    if (this._timer !== undefined) clearTimeout(this._timer)
    this._timer = setTimeout(() => this._controller.abort(new AbortReason("timeout")), ms)
  }

  /** Aborts the attempt now (the connection is no longer wanted). */
  abort(reason: unknown): void {
    this._controller.abort(reason)
  }

  dispose(): void {
    if (this._timer !== undefined) clearTimeout(this._timer)
    this._timer = undefined
    this._unlink?.()
    this._unlink = undefined
  }
}
