/** State Protocol message shapes (STATE-PROTOCOL.md §4–5). */

export type Operation = "insert" | "update" | "delete"
/** The kind of a control message. */
export type ControlType = "snapshot-start" | "snapshot-end" | "reset"

/** Headers of a change message. */
export interface ChangeHeaders {
  operation: Operation
  /** Opaque id grouping changes; writers stamp it so they can await its echo. */
  txid?: string
  /** RFC 3339 time of the change. */
  timestamp?: string
  /** Stamped by some servers on read (the reference server does): the message's own offset. */
  offset?: string
}

/** A State Protocol change: insert, update or delete of one row. */
export interface ChangeMessage<V = unknown> {
  type: string
  key: string
  /** Required for insert and update; usually absent or null on delete. */
  value?: V
  old_value?: V
  headers: ChangeHeaders
}

/** A State Protocol control message: snapshot bounds or a reset. */
export interface ControlMessage {
  headers: {
    control: ControlType
    offset?: string
  }
}

/** Any State Protocol message. */
export type StateMessage = ChangeMessage | ControlMessage

/** Whether a message is a control message. */
export function isControlMessage(message: unknown): message is ControlMessage {
  const headers = (message as { headers?: unknown } | null)?.headers
  return typeof headers === "object" && headers !== null && "control" in headers
}

/** Whether a message is a change message. */
export function isChangeMessage(message: unknown): message is ChangeMessage {
  const headers = (message as { headers?: unknown } | null)?.headers
  return typeof headers === "object" && headers !== null && "operation" in headers
}
