import { isDurableStreamError } from "@durable-client/state"

/** Codes a reconnect cannot fix: closed or deleted streams, refused access, data that is not ours. */
const PERMANENT = new Set<string>([
  "NOT_FOUND",
  "STREAM_CLOSED",
  "CONFLICT",
  "BAD_REQUEST",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "PAYLOAD_TOO_LARGE",
  "INVALID_ARGUMENT",
  "REDIRECTED",
  "PROTOCOL_VIOLATION",
  "PARSE_ERROR",
  "CALLBACK_FAILED",
])

/** Whether a failure is worth another connection (network, 5xx, timeouts, 429, a gone offset). */
export function isRetryableFailure(error: unknown): boolean {
  return isDurableStreamError(error) && !PERMANENT.has(error.code)
}
