import type { SessionStatus } from "@durable-client/state"

/**
 * A read session's health as the inspector shows it, built only from what a
 * ReadSession exposes today (status and its changes, liveTransport, and the
 * batches it delivers). When the SDK gains a health snapshot, this reducer
 * is the one place to read it from instead.
 */
export interface Health {
  status: SessionStatus | "idle"
  transport: "sse" | "long-poll" | undefined
  /** Where a reader would resume: the offset after the last delivered batch. */
  offset: string | undefined
  upToDate: boolean
  closed: boolean
  /** Times the session lost its connection: entered backoff, or fell back from live to catching up. */
  reconnects: number
  /** Messages (JSON) or chunks (bytes) delivered. */
  messages: number
  bytes: number
  /** `Date.now()` of the last batch that carried data. */
  lastDataAt: number | undefined
  /** `Date.now()` when the session last caught up with the tail. */
  upToDateSince: number | undefined
  error: { code: string; message: string } | undefined
}

export type HealthEvent =
  | { type: "status"; status: SessionStatus; transport: "sse" | "long-poll" | undefined }
  | { type: "batch"; offset: string; upToDate: boolean; closed: boolean; messages: number; bytes: number; at: number }
  | { type: "error"; code: string; message: string }
  /** The live transport became known (it is set after the status turns live). */
  | { type: "transport"; transport: "sse" | "long-poll" | undefined }

export const INITIAL_HEALTH: Health = Object.freeze({
  status: "idle",
  transport: undefined,
  offset: undefined,
  upToDate: false,
  closed: false,
  reconnects: 0,
  messages: 0,
  bytes: 0,
  lastDataAt: undefined,
  upToDateSince: undefined,
  error: undefined,
})

/** Pure: the health after one event. */
export function nextHealth(health: Health, event: HealthEvent): Health {
  switch (event.type) {
    case "status": {
      const lostLive = health.status === "live" && (event.status === "connecting" || event.status === "catching-up")
      const reconnect = (event.status === "backoff" && health.status !== "backoff") || lostLive
      return {
        ...health,
        status: event.status,
        transport: event.transport ?? health.transport,
        reconnects: health.reconnects + (reconnect ? 1 : 0),
      }
    }
    case "batch": {
      const hasData = event.messages > 0 || event.bytes > 0
      return {
        ...health,
        offset: event.offset,
        upToDate: event.upToDate,
        closed: event.closed,
        messages: health.messages + event.messages,
        bytes: health.bytes + event.bytes,
        lastDataAt: hasData ? event.at : health.lastDataAt,
        upToDateSince: event.upToDate ? (health.upToDate ? health.upToDateSince : event.at) : undefined,
      }
    }
    case "error":
      return { ...health, status: "error", error: { code: event.code, message: event.message } }
    case "transport":
      return event.transport === undefined || event.transport === health.transport ? health : { ...health, transport: event.transport }
  }
}

/** "3 s ago", "2 min ago", "—". */
export function describeAge(since: number | undefined, now: number): string {
  if (since === undefined) return "—"
  const seconds = Math.max(0, Math.round((now - since) / 1000))
  if (seconds < 60) return `${seconds} s ago`
  const minutes = Math.round(seconds / 60)
  return minutes < 60 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`
}

/** How far behind the tail the reader is, in words: offsets are opaque, so there is no byte count. */
export function describeLag(health: Health, now: number): string {
  if (health.closed) return "read to the end (closed)"
  if (health.status === "idle" || health.status === "connecting") return "—"
  if (health.upToDate) return `caught up ${describeAge(health.upToDateSince, now)}`
  return "catching up"
}
