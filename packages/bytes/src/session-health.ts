import { callbackFailed, reportCallbackError } from "./callback-error"
import type { DurableStreamError } from "./errors"
import type { PauseReason } from "./live-supervisor"
import type { TransportName } from "./read-transport"

/** Where a read session is in its life, as reported by `onStatusChange`. */
export type SessionStatus =
  | "connecting"
  | "catching-up"
  | "live"
  | "backoff"
  /** Live requests are on hold: the page is hidden, the app is in the background, or the network is down. */
  | "paused"
  | "closed"
  | "error"

/**
 * What an app needs to show the state of a read: "live", "reconnecting…",
 * "offline, showing data from 3 min ago". Immutable; a change makes a new
 * snapshot (so `useSyncExternalStore` and friends can compare by identity).
 */
export interface SessionHealth {
  readonly status: SessionStatus
  /** Transport of the request in flight, or of the last one. */
  readonly transport: TransportName | undefined
  /** Why live requests are on hold, while they are. */
  readonly paused: PauseReason | undefined
  /** Whether the data handed out so far reaches the stream's tail (as of the last answer). */
  readonly upToDate: boolean
  /** When the server last answered (ms since the epoch): a response, or an SSE control event. */
  readonly lastResponseAt: number | undefined
  /**
   * Times the session set up its connection again after losing one: a
   * retry after a failure, an SSE connection the server ended or that went
   * silent, a reconnect after wake from sleep, coming back online, or a pause.
   */
  readonly reconnects: number
  /** The most recent failure, whether it was retried or ended the session. */
  readonly lastError: DurableStreamError | undefined
}

export const INITIAL_HEALTH: SessionHealth = Object.freeze({
  status: "connecting",
  transport: undefined,
  paused: undefined,
  upToDate: false,
  lastResponseAt: undefined,
  reconnects: 0,
  lastError: undefined,
})

/**
 * Calls every listener with `value`. A listener that throws is a bug in
 * the app, not a reason for the read to fail or for other listeners to miss
 * out: its error is reported as an uncaught error of the app (see
 * `reportCallbackError`), the way a throwing event listener's is.
 */
export function notify<T>(url: string, what: string, listeners: Iterable<(value: T) => void>, value: T): void {
  for (const listener of [...listeners]) {
    try {
      listener(value)
    } catch (error) {
      reportCallbackError(callbackFailed(url, what, error, "read"), undefined)
    }
  }
}
