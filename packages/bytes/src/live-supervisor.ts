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

// Bracket access reaches the private method from outside the class, on purpose: see `schedule`.
const fire = (supervisor: LiveSupervisor): void => supervisor["fire"]()

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
  private hidden = false
  private background = false
  private offline = false
  /** Unsubscribes from the lifecycle sources; set once started (live sessions only). */
  private stops: Array<() => void> | undefined
  /** The kind of the request or connection under way, from its start until it is over. */
  protected open: TransportName | undefined
  /** Why the supervisor ended the connection under way (or the last one), if it did. */
  protected interrupted: InterruptReason | undefined
  /** Connections and backoffs under way: the wake check runs while there are any. */
  private busy = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  /** When `timer` fires. It may fire before anything is due (a deadline was pushed back): it then re-arms. */
  private timerAt = 0
  /** When the request in flight times out (0: no deadline). */
  private deadlineAt = 0
  /** When the next wake check is due (0: none). */
  private wakeAt = 0
  private lastTick = 0
  /** The wait under way (a backoff or a pause), which ends early when things get better; `waitAt` ends it (0: not by time). */
  private waitAt = 0
  private waitDone: (() => void) | undefined
  private waitFailed: ((reason: unknown) => void) | undefined
  private youngEmpty = 0
  /** Until when `auto` uses long-poll instead of SSE (Infinity: SSE cannot work here). */
  private sseBlockedUntil: number | undefined
  private sseRetryMs: number = DEFAULTS.sseRetry.initialMs
  private probing = false

  constructor(
    protected readonly context: ClientContext,
    protected readonly options: ResolvedReadOptions
  ) {}

  /** Ends the request or connection in flight with `reason` (it then fails, and the machine takes over). */
  protected abstract endRequest(reason: unknown): void
  /** A backoff started. */
  protected abstract backingOff(): void
  /** Live requests went on hold (a reason), or may go on again (undefined). */
  protected abstract paused(reason: PauseReason | undefined): void

  /** Starts listening to the lifecycle sources (live sessions only). */
  protected supervise(): void {
    if (this.stops || this.options.live === false) return
    this.stops = []
    const { visibility, appState, online } = this.options.lifecycle
    if (visibility) this.watch(visibility, 0)
    if (appState) this.watch(appState, 1)
    if (online) this.watch(online, 2)
  }

  /** Stops listening, clears every timer and fails the wait under way with `reason`. */
  protected unsupervise(reason: unknown): void {
    if (this.stops) for (const stop of this.stops.splice(0)) stop()
    this.busy = 0
    this.wakeAt = this.deadlineAt = 0
    const failed = this.waitFailed
    this.endWait()
    failed?.(reason)
  }

  /** Why a request of `kind` may not go out now, if it may not. */
  protected pauseReason(kind: TransportName): PauseReason | undefined {
    if (this.options.live === false) return undefined
    if (this.offline) return "offline"
    // Catch-up reads are finite and cacheable: only live requests wait for the page or the app.
    if (kind === "catch-up") return undefined
    if (this.background) return "background"
    if (this.hidden && this.options.lifecycle.pauseWhenHidden) return "hidden"
    return undefined
  }

  /** Resolves once a request of `kind` may go out; true when it had to wait. */
  protected async ready(kind: TransportName): Promise<boolean> {
    let reason = this.pauseReason(kind)
    if (reason === undefined) return false
    while (reason !== undefined) {
      this.paused(reason)
      await this.wait(Number.POSITIVE_INFINITY)
      reason = this.pauseReason(kind)
    }
    this.paused(undefined)
    return true
  }

  /** A request or connection of `kind` starts: the supervisor may end it, and the wake check runs. */
  protected opening(kind: TransportName): void {
    this.open = kind
    this.interrupted = undefined
    this.setBusy(1)
  }

  /** The request or connection is over: it no longer holds the wake check on. */
  protected closing(): void {
    if (this.open === undefined) return
    this.open = undefined
    this.deadlineAt = 0
    this.setBusy(-1)
  }

  /**
   * Waits `delayMs` before trying again. Ends early when the network comes
   * back, the page is shown, the app returns to the foreground or the
   * device wakes; then waits out any pause.
   */
  protected async backoff(delayMs: number): Promise<void> {
    this.backingOff()
    this.setBusy(1)
    try {
      await this.wait(delayMs)
    } finally {
      this.setBusy(-1)
    }
    // An interrupted connection fails at once and the machine takes over; otherwise hold the retry while paused.
    if (this.interrupted === undefined || this.open === undefined) await this.ready(this.open ?? "catch-up")
  }

  /** The transport for the next live request. */
  protected chooseLive(streamingBodies: boolean): "sse" | "long-poll" {
    if (this.options.live === "long-poll" || !streamingBodies) return "long-poll"
    if (this.sseBlockedUntil === undefined) return "sse"
    if (Date.now() < this.sseBlockedUntil) return "long-poll"
    // Time to see whether SSE works here again (the network may have changed).
    this.probing = true
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
  protected sseEnded(openedAt: number, delivered: boolean): Promise<void> | undefined {
    if (delivered || Date.now() - openedAt >= SHORT_CONNECTION_MS) {
      this.youngEmpty = 0
      if (this.probing) {
        this.probing = false
        this.sseBlockedUntil = undefined
        this.sseRetryMs = DEFAULTS.sseRetry.initialMs
      }
      return undefined
    }
    this.youngEmpty++
    if (this.options.live === "auto" && (this.probing || this.youngEmpty >= EMPTY_CONNECTIONS_BEFORE_FALLBACK)) {
      this.sseBlockedUntil = Date.now() + this.sseRetryMs
      this.sseRetryMs = Math.min(this.sseRetryMs * 2, DEFAULTS.sseRetry.maxMs)
      this.probing = false
      this.youngEmpty = 0
      return undefined
    }
    // Do not hammer a server or proxy that keeps cutting us off.
    return this.backoff(backoffDelay(this.context.retry, this.youngEmpty - 1))
  }

  /** SSE cannot work in this runtime (no streaming response bodies): long-poll for good. */
  protected sseUnsupported(): void {
    this.sseBlockedUntil = Number.POSITIVE_INFINITY
    this.probing = false
  }

  /** (Re)starts the request's deadline: it is ended with a timeout unless re-armed or over within `ms`. */
  protected armDeadline(ms: number): void {
    this.deadlineAt = Date.now() + Math.min(ms, MAX_TIMER_MS)
    this.schedule()
  }

  /** The request in flight has no deadline (its answer is in; the consumer holds it). */
  protected disarmDeadline(): void {
    this.deadlineAt = 0
    this.schedule()
  }

  /** `source` is 0 visibility, 1 app state, 2 network. */
  private watch(source: { isActive(): boolean; subscribe(listener: (active: boolean) => void): () => void }, which: 0 | 1 | 2): void {
    this.apply(which, source.isActive())
    this.stops!.push(
      source.subscribe((active) => {
        const wasOffline = this.offline
        this.apply(which, active)
        if (!active) {
          // Worse: end the request in flight if it may not go on.
          if (this.open !== undefined && this.pauseReason(this.open) !== undefined) this.interrupt("pause")
        } else {
          // Better: a connection that predates an outage is presumed dead, and
          // nothing is gained by sitting out the rest of a backoff.
          if (wasOffline && !this.offline) this.interrupt("online")
          this.wake()
        }
      })
    )
  }

  private apply(which: 0 | 1 | 2, active: boolean): void {
    if (which === 0) this.hidden = !active
    else if (which === 1) this.background = !active
    else this.offline = !active
  }

  private interrupt(reason: InterruptReason): void {
    if (this.open === undefined || this.interrupted !== undefined) return
    this.interrupted = reason
    this.endRequest(new AbortReason("cancel"))
  }

  /** Ends the wait under way early. */
  private wake(): void {
    const done = this.waitDone
    this.endWait()
    done?.()
  }

  private endWait(): void {
    this.waitAt = 0
    this.waitDone = this.waitFailed = undefined
    this.schedule()
  }

  /** Resolves after `ms` or when woken early; rejects when the session ends. One wait at a time. */
  private wait(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waitDone = resolve
      this.waitFailed = reject
      if (Number.isFinite(ms)) {
        this.waitAt = Date.now() + Math.min(ms, MAX_TIMER_MS)
        this.schedule()
      }
    })
  }

  private setBusy(change: number): void {
    this.busy += change
    const every = this.options.lifecycle.wakeCheckMs
    if (this.busy > 0 && this.wakeAt === 0 && every !== undefined && this.stops) {
      this.lastTick = Date.now()
      this.wakeAt = this.lastTick + every
    } else if (this.busy <= 0) {
      this.wakeAt = 0
    }
    this.schedule()
  }

  /**
   * Keeps the one timer set for whatever is due first: the request's
   * deadline, the end of a backoff or the wake check. Pushing a deadline back (each SSE byte
   * does) costs nothing: the timer fires at the old time and re-arms.
   */
  private schedule(): void {
    const due = Math.min(this.deadlineAt || Infinity, this.waitAt || Infinity, this.wakeAt || Infinity)
    if (due === Infinity) {
      if (this.timer !== undefined) clearTimeout(this.timer)
      this.timer = undefined
      return
    }
    if (this.timer !== undefined) {
      if (this.timerAt <= due) return
      clearTimeout(this.timer)
    }
    this.timerAt = due
    // The session as the timer's argument, not captured by a closure: one object fewer per timer.
    this.timer = setTimeout(fire, Math.max(0, due - Date.now()), this)
  }

  /** The timer went off. */
  private fire(): void {
    this.timer = undefined
    // What the timer was set for is due, whatever the wall clock says now: it
    // may stand still (a test's) or go back, and a wait must end all the same.
    const due = this.timerAt
    const now = Date.now()
    const every = this.options.lifecycle.wakeCheckMs
    if (this.wakeAt !== 0 && every !== undefined && this.wakeAt <= due) {
      // A check far later than due means the machine slept (lid closed,
      // suspended tab or process): the socket under the request in flight is
      // likely dead, and its deadline ran on a clock that did not count the
      // sleep. Reconnect now instead. Browsers throttle the timers of hidden
      // pages: lateness there is expected.
      const late = now - this.lastTick - every
      this.lastTick = now
      this.wakeAt = now + every
      if (late >= this.options.lifecycle.wakeGapMs && !this.hidden) {
        this.interrupt("wake")
        this.wake()
      }
    }
    if (this.deadlineAt !== 0 && this.deadlineAt <= due) {
      this.deadlineAt = 0
      this.endRequest(new AbortReason("timeout"))
    }
    if (this.waitAt !== 0 && this.waitAt <= due) this.wake()
    this.schedule()
  }
}
