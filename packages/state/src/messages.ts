/** State Protocol message shapes (STATE-PROTOCOL.md §4–5). */

export type Operation = "insert" | "update" | "delete"
export type ControlType = "snapshot-start" | "snapshot-end" | "reset"

export interface ChangeHeaders {
  operation: Operation
  /** Opaque id grouping changes; writers stamp it so they can await its echo. */
  txid?: string
  /** RFC 3339 time of the change. */
  timestamp?: string
  /** Stamped by some servers on read (the reference server does): the message's own offset. */
  offset?: string
}

export interface ChangeMessage<V = unknown> {
  type: string
  key: string
  /** Required for insert and update; usually absent or null on delete. */
  value?: V
  old_value?: V
  headers: ChangeHeaders
}

export interface ControlMessage {
  headers: {
    control: ControlType
    offset?: string
  }
}

export type StateMessage = ChangeMessage | ControlMessage

export function isControlMessage(message: unknown): message is ControlMessage {
  const headers = (message as { headers?: unknown } | null)?.headers
  return typeof headers === "object" && headers !== null && "control" in headers
}

export function isChangeMessage(message: unknown): message is ChangeMessage {
  const headers = (message as { headers?: unknown } | null)?.headers
  return typeof headers === "object" && headers !== null && "operation" in headers
}
