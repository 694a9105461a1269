import { AbortReason } from "./abort"
import { DEFAULTS } from "./defaults"
import type { AttemptOwner } from "./http"
import type { ResolvedLifecycle } from "./lifecycle"
import type { TransportName } from "./read-transport"
import { backoffDelay, type ResolvedRetry } from "./retry-policy"

/** Why live requests are on hold. */
export type PauseReason = "hidden" | "background" | "offline"

/** Why the supervisor ended a connection that was still working. */
export type InterruptReason = "pause" | "wake" | "online"

/** SSE connections shorter than this count as "dying young" (buffering proxies). */
const SHORT_CONNECTION_MS = 1000
/** After this many young SSE connections in a row that brought nothing, `auto` switches to long-poll. */
const EMPTY_CONNECTIONS_BEFORE_FALLBACK = 3

export interface SupervisorScope {
  live: false | "long-poll" | "sse" | "auto"
  lifecycle: ResolvedLifecycle
  retry: ResolvedRetry
  /** The session's signal: every wait ends when it aborts. */
  signal: AbortSignal
  onBackoff(): void
  /** Live requests went on hold (a reason), or may go on again (undefined). */
  onPause(reason: PauseReason | undefined): void
}

/** A request or connection the supervisor may end early. */
export interface SupervisedConnection extends AttemptOwner {
  /** The session's signal: the connection has none of its own (see `Connection`). */
  readonly signal: AbortSignal
  /** Why the supervisor ended it, if it did: reconnect from the position, catching up first. */
  readonly interrupted: InterruptReason | undefined
  close(): void
}

/**
 * One connection under the supervisor. It ends its request by aborting the
 * attempt under way (each attempt's own deadline controller, which
 * `execute` attaches), not through an AbortController of its own linked
 * to the session's: an idle live session holds a connection at all times,
 * and in Node an AbortSignal with a listener costs about 1 KB of heap. A
 * class, not an object literal with a getter: a literal with an accessor
 * gets a hidden class of its own per instance.
 */
class Connection implements SupervisedConnection {
  interrupted: InterruptReason | undefined
  private done = false
  private attempt: { abort(reason: unknown): void } | undefined

  constructor(
    private readonly supervisor: LiveSupervisor,
    readonly kind: TransportName,
    readonly signal: AbortSignal
  ) {}

  attach(attempt: { abort(reason: unknown): void } | undefined): void {
    this.attempt = attempt
    // Ended between two attempts (during a backoff, or while headers resolved): this one must not go out.
    if (attempt && this.interrupted !== undefined) attempt.abort(new AbortReason("cancel"))
  }

  interrupt(reason: InterruptReason): void {
    if (this.interrupted !== undefined || this.done) return
    this.interrupted = reason
    this.attempt?.abort(new AbortReason("cancel"))
  }

  close(): void {
    if (this.done) return
    this.done = true
    this.attempt = undefined
    this.supervisor.closed(this)
  }
}

/**
 * Decides when a session's requests go out and when a live session
 * reconnects: it holds live requests while the page is hidden, the app is
 * in the background or the network is down; it ends a connection the moment
 * that happens, when the device wakes from sleep, or when the network comes
 * back; it ends backoffs early when waiting no longer helps; and it decides
 * when SSE has proven unusable and when to try it again. Nothing here makes
 * a request: the read loop asks, and the supervisor answers.
 */
export class LiveSupervisor {
  private hidden = false
  private background = false
  private offline = false
  private started = false
  private readonly stops: Array<() => void> = []
  /** Waits (backoffs, pauses) that end early when things get better. */
  private wakers: Set<() => void> | undefined
  private connection: Connection | undefined
  /** Connections and backoffs under way: the wake check runs while there are any. */
  private busy = 0
  private ticker: ReturnType<typeof setInterval> | undefined
  private lastTick = 0
  private youngEmpty = 0
  /** Until when `auto` uses long-poll instead of SSE (Infinity: SSE cannot work here). */
  private sseBlockedUntil: number | undefined
  private sseRetryMs: number = DEFAULTS.sseRetry.initialMs
  private probing = false

  constructor(private readonly scope: SupervisorScope) {}

  /** Starts listening to the lifecycle sources (live sessions only). */
  start(): void {
    if (this.started || this.scope.live === false) return
    this.started = true
    const { visibility, appState, online } = this.scope.lifecycle
    this.watch(visibility, (active) => (this.hidden = !active))
    this.watch(appState, (active) => (this.background = !active))
    this.watch(online, (active) => (this.offline = !active))
  }

  /** Stops listening and clears every timer. */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop()
    this.busy = 0
    this.tick()
  }

  /** Why a request of `kind` may not go out now, if it may not. */
  pauseReason(kind: TransportName): PauseReason | undefined {
    if (this.scope.live === false) return undefined
    if (this.offline) return "offline"
    // Catch-up reads are finite and cacheable: only live requests wait for the page or the app.
    if (kind === "catch-up") return undefined
    if (this.background) return "background"
    if (this.hidden && this.scope.lifecycle.pauseWhenHidden) return "hidden"
    return undefined
  }

  /** Resolves once a request of `kind` may go out; true when it had to wait. */
  async ready(kind: TransportName): Promise<boolean> {
    let reason = this.pauseReason(kind)
    if (reason === undefined) return false
    while (reason !== undefined) {
      this.scope.onPause(reason)
      await this.wait(Number.POSITIVE_INFINITY)
      reason = this.pauseReason(kind)
    }
    this.scope.onPause(undefined)
    return true
  }

  /** A request or connection of `kind`, which the supervisor ends if it must. */
  open(kind: TransportName): SupervisedConnection {
    const open = new Connection(this, kind, this.scope.signal)
    this.connection = open
    this.busy++
    this.tick()
    return open
  }

  /** The connection ended: it no longer holds the wake check on. */
  closed(open: Connection): void {
    if (this.connection === open) this.connection = undefined
    this.busy--
    this.tick()
  }

  /**
   * Waits `delayMs` before trying again. Ends early when the network comes
   * back, the page is shown, the app returns to the foreground or the
   * device wakes; then waits out any pause.
   */
  async backoff(delayMs: number): Promise<void> {
    this.scope.onBackoff()
    this.busy++
    this.tick()
    try {
      await this.wait(delayMs)
    } finally {
      this.busy--
      this.tick()
    }
    const open = this.connection
    // An interrupted connection fails at once and the loop takes over; otherwise hold the retry while paused.
    if (open?.interrupted === undefined) await this.ready(open?.kind ?? "catch-up")
  }

  /** The transport for the next live request. */
  liveTransport(preferred: "sse" | "long-poll", streamingBodies: boolean): "sse" | "long-poll" {
    if (preferred === "long-poll" || !streamingBodies) return "long-poll"
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
  async sseEnded(openedAt: number, delivered: boolean): Promise<void> {
    if (delivered || Date.now() - openedAt >= SHORT_CONNECTION_MS) {
      this.youngEmpty = 0
      if (this.probing) {
        this.probing = false
        this.sseBlockedUntil = undefined
        this.sseRetryMs = DEFAULTS.sseRetry.initialMs
      }
      return
    }
    this.youngEmpty++
    if (this.scope.live === "auto" && (this.probing || this.youngEmpty >= EMPTY_CONNECTIONS_BEFORE_FALLBACK)) {
      this.fallBack()
      return
    }
    // Do not hammer a server or proxy that keeps cutting us off.
    await this.backoff(backoffDelay(this.scope.retry, this.youngEmpty - 1))
  }

  /** SSE cannot work in this runtime (no streaming response bodies): long-poll for good. */
  sseUnsupported(): void {
    this.sseBlockedUntil = Number.POSITIVE_INFINITY
    this.probing = false
  }

  private fallBack(): void {
    this.sseBlockedUntil = Date.now() + this.sseRetryMs
    this.sseRetryMs = Math.min(this.sseRetryMs * 2, DEFAULTS.sseRetry.maxMs)
    this.probing = false
    this.youngEmpty = 0
  }

  private watch(source: ResolvedLifecycle["online"], apply: (active: boolean) => void): void {
    if (source === undefined) return
    apply(source.isActive())
    this.stops.push(
      source.subscribe((active) => {
        const wasOffline = this.offline
        apply(active)
        if (!active) {
          // Worse: end the request in flight if it may not go on.
          const open = this.connection
          if (open && this.pauseReason(open.kind) !== undefined) this.interrupt("pause")
        } else {
          // Better: a connection that predates an outage is presumed dead, and
          // nothing is gained by sitting out the rest of a backoff.
          if (wasOffline && !this.offline) this.interrupt("online")
          this.wakeAll()
        }
      })
    )
  }

  private interrupt(reason: InterruptReason): void {
    this.connection?.interrupt(reason)
  }

  private wakeAll(): void {
    if (this.wakers) for (const wake of [...this.wakers]) wake()
  }

  /** Resolves after `ms` or when woken early; rejects when the session ends. */
  private wait(ms: number): Promise<void> {
    const signal = this.scope.signal
    return new Promise((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason ?? new AbortReason("cancel"))
        return
      }
      const finish = (): void => {
        if (timer !== undefined) clearTimeout(timer)
        this.wakers?.delete(done)
        signal.removeEventListener("abort", onAbort)
      }
      const done = (): void => {
        finish()
        resolve()
      }
      const onAbort = (): void => {
        finish()
        reject(signal.reason ?? new AbortReason("cancel"))
      }
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined
      ;(this.wakers ??= new Set()).add(done)
      signal.addEventListener("abort", onAbort, { once: true })
    })
  }

  /** Runs the wake check while a connection or backoff is under way, and only then. */
  private tick(): void {
    const every = this.scope.lifecycle.wakeCheckMs
    if (this.busy > 0 && this.ticker === undefined && every !== undefined && this.started) {
      this.lastTick = Date.now()
      this.ticker = setInterval(() => this.checkWake(every), every)
    } else if (this.busy <= 0 && this.ticker !== undefined) {
      clearInterval(this.ticker)
      this.ticker = undefined
    }
  }

  /**
   * A timer that fires far later than due means the machine slept (lid
   * closed, suspended tab or process): the socket under the request in
   * flight is likely dead, and its own deadline runs on a clock that did
   * not count the sleep. Reconnect now instead.
   */
  private checkWake(every: number): void {
    const now = Date.now()
    const late = now - this.lastTick - every
    this.lastTick = now
    // Browsers throttle the timers of hidden pages: lateness there is expected.
    if (late < this.scope.lifecycle.wakeGapMs || this.hidden) return
    this.interrupt("wake")
    this.wakeAll()
  }
}
