import { AbortReason } from "./abort"
import { DEFAULTS, MAX_TIMER_MS } from "./defaults"
import type { ClientContext } from "./http"
import type { ResolvedReadOptions } from "./options"
import type { TransportName } from "./read-transport"
import { backoffDelay } from "./retry-policy"

/** Why live requests are on hold. */
export type PauseReason = "hidden" | "background" | "offline"

/** Why the supervisor ended a connection that was still working. */
export type InterruptReason = "pause" | "wake" | "online"

// Reaches the private _method from outside the class, on purpose: see `schedule`.
const fire = (supervisor: LiveSupervisor): void => (supervisor as unknown as { _fire(): void })._fire()

/** SSE connections shorter than this count as "dying young" (buffering proxies). */
const SHORT_CONNECTION_MS = 1000
/** After this many young SSE connections in a row that brought nothing, `auto` switches to long-poll. */
const EMPTY_CONNECTIONS_BEFORE_FALLBACK = 3

/**
 * Decides when a session's requests go out and when a live session
 * reconnects: it holds live requests while the page is hidden, the app is
 * in the background or the network is down; it ends a connection the moment
 * that happens, when the device wakes from sleep, or when the network comes
 * back; it ends backoffs early when waiting no longer helps; and it decides
 * when SSE has proven unusable and when to try it again. Nothing here makes
 * a request: the read machine (read-machine.ts) asks, and the supervisor answers.
 *
 * The base class of a session, not an object beside it: an idle live
 * session is one object with its state in fields, so it holds no closures,
 * no generator frames and no second object per concern. It also owns the
 * session's one timer, which serves both the deadline of the request in
 * flight and the wake check (see `schedule`).
 */
export abstract class LiveSupervisor {
  private _hidden = false
  private _background = false
  private _offline = false
  /** Unsubscribes from the lifecycle sources; set once started (live sessions only). */
  private _stops: Array<() => void> | undefined
  /** The kind of the request or connection under way, from its start until it is over. */
  protected _open: TransportName | undefined
  /** Why the supervisor ended the connection under way (or the last one), if it did. */
  protected _interrupted: InterruptReason | undefined
  /** Connections and backoffs under way: the wake check runs while there are any. */
  private _busy = 0
  private _timer: ReturnType<typeof setTimeout> | undefined
  /** When `timer` fires. It may fire before anything is due (a deadline was pushed back): it then re-arms. */
  private _timerAt = 0
  /** When the request in flight times out (0: no deadline). */
  private _deadlineAt = 0
  /** When the next wake check is due (0: none). */
  private _wakeAt = 0
  private _lastTick = 0
  /** The wait under way (a backoff or a pause), which ends early when things get better; `waitAt` ends it (0: not by time). */
  private _waitAt = 0
  private _waitDone: (() => void) | undefined
  private _waitFailed: ((reason: unknown) => void) | undefined
  private _youngEmpty = 0
  /** Until when `auto` uses long-poll instead of SSE (Infinity: SSE cannot work here). */
  private _sseBlockedUntil: number | undefined
  private _sseRetryMs: number = DEFAULTS.sseRetry.initialMs
  private _probing = false

  protected readonly _context: ClientContext
  protected readonly _options: ResolvedReadOptions

  // Fields assigned here, not constructor parameter properties: those would also be declared as class fields under their long names.
  constructor(context: ClientContext, options: ResolvedReadOptions) {
    this._context = context
    this._options = options
  }

  /** Ends the request or connection in flight with `reason` (it then fails, and the machine takes over). */
  protected abstract _endRequest(reason: unknown): void
  /** A backoff started. */
  protected abstract _backingOff(): void
  /** Live requests went on hold (a reason), or may go on again (undefined). */
  protected abstract _paused(reason: PauseReason | undefined): void

  /** Starts listening to the lifecycle sources (live sessions only). */
  protected _supervise(): void {
    if (this._stops || this._options.live === false) return
    this._stops = []
    const { visibility, appState, online } = this._options.lifecycle
    if (visibility) this._watch(visibility, 0)
    if (appState) this._watch(appState, 1)
    if (online) this._watch(online, 2)
  }

  /** Stops listening, clears every timer and fails the wait under way with `reason`. */
  protected _unsupervise(reason: unknown): void {
    if (this._stops) for (const stop of this._stops.splice(0)) stop()
    this._busy = 0
    this._wakeAt = this._deadlineAt = 0
    const failed = this._waitFailed
    this._endWait()
    failed?.(reason)
  }

  /** Why a request of `kind` may not go out now, if it may not. */
  protected _pauseReason(kind: TransportName): PauseReason | undefined {
    if (this._options.live === false) return undefined
    if (this._offline) return "offline"
    // Catch-up reads are finite and cacheable: only live requests wait for the page or the app.
    if (kind === "catch-up") return undefined
    if (this._background) return "background"
    if (this._hidden && this._options.lifecycle.pauseWhenHidden) return "hidden"
    return undefined
  }

  /** Resolves once a request of `kind` may go out; true when it had to wait. */
  protected async _ready(kind: TransportName): Promise<boolean> {
    let reason = this._pauseReason(kind)
    if (reason === undefined) return false
    while (reason !== undefined) {
      this._paused(reason)
      await this._wait(Number.POSITIVE_INFINITY)
      reason = this._pauseReason(kind)
    }
    this._paused(undefined)
    return true
  }

  /** A request or connection of `kind` starts: the supervisor may end it, and the wake check runs. */
  protected _opening(kind: TransportName): void {
    this._open = kind
    this._interrupted = undefined
    this._setBusy(1)
  }

  /** The request or connection is over: it no longer holds the wake check on. */
  protected _closing(): void {
    if (this._open === undefined) return
    this._open = undefined
    this._deadlineAt = 0
    this._setBusy(-1)
  }

  /**
   * Waits `delayMs` before trying again. Ends early when the network comes
   * back, the page is shown, the app returns to the foreground or the
   * device wakes; then waits out any pause.
   */
  protected async _backoff(delayMs: number): Promise<void> {
    this._backingOff()
    this._setBusy(1)
    try {
      await this._wait(delayMs)
    } finally {
      this._setBusy(-1)
    }
    // An interrupted connection fails at once and the machine takes over; otherwise hold the retry while paused.
    if (this._interrupted === undefined || this._open === undefined) await this._ready(this._open ?? "catch-up")
  }

  /** The transport for the next live request. */
  protected _chooseLive(streamingBodies: boolean): "sse" | "long-poll" {
    if (this._options.live === "long-poll" || !streamingBodies) return "long-poll"
    if (this._sseBlockedUntil === undefined) return "sse"
    if (Date.now() < this._sseBlockedUntil) return "long-poll"
    // Time to see whether SSE works here again (the network may have changed).
    this._probing = true
    return "sse"
  }

  /**
   * The server ended an SSE connection without closing the stream. Resolves
   * when it is time to reconnect. A connection that brought data, or lasted,
   * was healthy however it ended. Young connections that brought nothing are
   * what a proxy that cuts SSE looks like: they back off, and in `auto`
   * mode a run of them (or one, when trying SSE again) means long-poll for a
   * while.
   */
  protected _sseEnded(openedAt: number, delivered: boolean): Promise<void> | undefined {
    if (delivered || Date.now() - openedAt >= SHORT_CONNECTION_MS) {
      this._youngEmpty = 0
      if (this._probing) {
        this._probing = false
        this._sseBlockedUntil = undefined
        this._sseRetryMs = DEFAULTS.sseRetry.initialMs
      }
      return undefined
    }
    this._youngEmpty++
    if (this._options.live === "auto" && (this._probing || this._youngEmpty >= EMPTY_CONNECTIONS_BEFORE_FALLBACK)) {
      this._sseBlockedUntil = Date.now() + this._sseRetryMs
      this._sseRetryMs = Math.min(this._sseRetryMs * 2, DEFAULTS.sseRetry.maxMs)
      this._probing = false
      this._youngEmpty = 0
      return undefined
    }
    // Do not hammer a server or proxy that keeps cutting us off.
    return this._backoff(backoffDelay(this._context.retry, this._youngEmpty - 1))
  }

  /** SSE cannot work in this runtime (no streaming response bodies): long-poll for good. */
  protected _sseUnsupported(): void {
    this._sseBlockedUntil = Number.POSITIVE_INFINITY
    this._probing = false
  }

  /** (Re)starts the request's deadline: it is ended with a timeout unless re-armed or over within `ms`. */
  protected _armDeadline(ms: number): void {
    this._deadlineAt = Date.now() + Math.min(ms, MAX_TIMER_MS)
    this._schedule()
  }

  /** The request in flight has no deadline (its answer is in; the consumer holds it). */
  protected _disarmDeadline(): void {
    this._deadlineAt = 0
    this._schedule()
  }

  /** `source` is 0 visibility, 1 app state, 2 network. */
  private _watch(source: { isActive(): boolean; subscribe(listener: (active: boolean) => void): () => void }, which: 0 | 1 | 2): void {
    this._apply(which, source.isActive())
    this._stops!.push(
      source.subscribe((active) => {
        const wasOffline = this._offline
        this._apply(which, active)
        if (!active) {
          // Worse: end the request in flight if it may not go on.
          if (this._open !== undefined && this._pauseReason(this._open) !== undefined) this._interrupt("pause")
        } else {
          // Better: a connection that predates an outage is presumed dead, and
          // nothing is gained by sitting out the rest of a backoff.
          if (wasOffline && !this._offline) this._interrupt("online")
          this._wake()
        }
      })
    )
  }

  private _apply(which: 0 | 1 | 2, active: boolean): void {
    if (which === 0) this._hidden = !active
    else if (which === 1) this._background = !active
    else this._offline = !active
  }

  private _interrupt(reason: InterruptReason): void {
    if (this._open === undefined || this._interrupted !== undefined) return
    this._interrupted = reason
    this._endRequest(new AbortReason("cancel"))
  }

  /** Ends the wait under way early. */
  private _wake(): void {
    const done = this._waitDone
    this._endWait()
    done?.()
  }

  private _endWait(): void {
    this._waitAt = 0
    this._waitDone = this._waitFailed = undefined
    this._schedule()
  }

  /** Resolves after `ms` or when woken early; rejects when the session ends. One wait at a time. */
  private _wait(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this._waitDone = resolve
      this._waitFailed = reject
      if (Number.isFinite(ms)) {
        this._waitAt = Date.now() + Math.min(ms, MAX_TIMER_MS)
        this._schedule()
      }
    })
  }

  private _setBusy(change: number): void {
    this._busy += change
    const every = this._options.lifecycle.wakeCheckMs
    if (this._busy > 0 && this._wakeAt === 0 && every !== undefined && this._stops) {
      this._lastTick = Date.now()
      this._wakeAt = this._lastTick + every
    } else if (this._busy <= 0) {
      this._wakeAt = 0
    }
    this._schedule()
  }

  /**
   * Keeps the one timer set for whatever is due first: the request's
   * deadline, the end of a backoff or the wake check. Pushing a deadline back (each SSE byte
   * does) costs nothing: the timer fires at the old time and re-arms.
   */
  private _schedule(): void {
    const due = Math.min(this._deadlineAt || Infinity, this._waitAt || Infinity, this._wakeAt || Infinity)
    if (due === Infinity) {
      if (this._timer !== undefined) clearTimeout(this._timer)
      this._timer = undefined
      return
    }
    if (this._timer !== undefined) {
      if (this._timerAt <= due) return
      clearTimeout(this._timer)
    }
    this._timerAt = due
    // The session as the timer's argument, not captured by a closure: one object fewer per timer.
    this._timer = setTimeout(fire, Math.max(0, due - Date.now()), this)
  }

  /** The timer went off. */
  private _fire(): void {
    this._timer = undefined
    // What the timer was set for is due, whatever the wall clock says now: it
    // may stand still (a test's) or go back, and a wait must end all the same.
    const due = this._timerAt
    const now = Date.now()
    const every = this._options.lifecycle.wakeCheckMs
    if (this._wakeAt !== 0 && every !== undefined && this._wakeAt <= due) {
      // A check far later than due means the machine slept (lid closed,
      // suspended tab or process): the socket under the request in flight is
      // likely dead, and its deadline ran on a clock that did not count the
      // sleep. Reconnect now instead. Browsers throttle the timers of hidden
      // pages: lateness there is expected.
      const late = now - this._lastTick - every
      this._lastTick = now
      this._wakeAt = now + every
      if (late >= this._options.lifecycle.wakeGapMs && !this._hidden) {
        this._interrupt("wake")
        this._wake()
      }
    }
    if (this._deadlineAt !== 0 && this._deadlineAt <= due) {
      this._deadlineAt = 0
      this._endRequest(new AbortReason("timeout"))
    }
    if (this._waitAt !== 0 && this._waitAt <= due) this._wake()
    this._schedule()
  }
}
