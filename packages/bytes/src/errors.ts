/**
 * Every failure the SDK reports is a `DurableStreamError`. Callers branch on
 * `code` (stable, documented) rather than on messages or HTTP statuses, and
 * every message names the stream URL so logs are actionable on their own.
 */
export type DurableStreamErrorCode =
  | "NOT_FOUND"
  | "CONFLICT"
  | "SEQUENCE_CONFLICT"
  | "STREAM_CLOSED"
  | "INVALID_OFFSET"
  | "PARSE_ERROR"
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "RATE_LIMITED"
  | "GONE"
  | "PAYLOAD_TOO_LARGE"
  | "NETWORK"
  | "TIMEOUT"
  | "ABORTED"
  | "UNEXPECTED_STATUS"
  | "INVALID_ARGUMENT"
  /** A value failed the caller's schema (JSON layer). */
  | "VALIDATION"
  /** An idempotent producer was fenced by a newer epoch (403). */
  | "STALE_EPOCH"
  /**
   * The server (or something in front of it) answered with a redirect. The
   * SDK never follows one silently: `fetch` would turn a POST into a GET and
   * report a write that was never stored. `location` says where it pointed.
   */
  | "REDIRECTED"
  /**
   * The server broke a protocol rule the SDK relies on: an offset that moved
   * backwards, a run of answers that made no progress, an SSE connection
   * that sent data with no control event for longer than the session may
   * buffer. Retrying the same request would repeat it.
   */
  | "PROTOCOL_VIOLATION"
  /** A function the caller supplied (a header or param value, a hook) threw; `cause` holds what it threw. */
  | "CALLBACK_FAILED"

/** The operation that failed, so an error tells what the SDK was doing. */
export type StreamOperation =
  | "create"
  | "head"
  | "delete"
  | "append"
  | "close"
  | "read"
  | "fork"

export interface DurableStreamErrorDetails {
  url: string
  operation?: StreamOperation
  status?: number
  /** Offset the read or append was at, where one is known. */
  offset?: string
  /** Response headers of the failing request (when there was a response). */
  headers?: Headers
  /** Server-requested minimum wait before retrying (from `Retry-After`). */
  retryAfterMs?: number
  /** REDIRECTED: where the redirect pointed, when the runtime exposes it. */
  location?: string
  /** STALE_EPOCH: the server's current producer epoch. */
  currentEpoch?: number
  /** SEQUENCE_CONFLICT: the sequence number the server expected next. */
  expectedSeq?: number
  /** SEQUENCE_CONFLICT: the sequence number the server received. */
  receivedSeq?: number
  cause?: unknown
}

/**
 * Marks every error of this SDK, subclasses included. `Symbol.for` is shared
 * by every copy of the package in a process, so the guard below recognises
 * errors from a second bundled copy, whatever their class `name`.
 */
const BRAND = Symbol.for("durable-client.DurableStreamError")

const DETAIL_FIELDS = [
  "url",
  "operation",
  "status",
  "offset",
  "headers",
  "retryAfterMs",
  "location",
  "currentEpoch",
  "expectedSeq",
  "receivedSeq",
] as const satisfies ReadonlyArray<keyof DurableStreamErrorDetails>

/** The one error type of the SDK: branch on `code`; `url`, `operation` and `status` say what failed. */
export class DurableStreamError extends Error {
  override readonly name: string = "DurableStreamError"
  readonly code: DurableStreamErrorCode
  declare readonly url: string
  declare readonly operation: StreamOperation | undefined
  declare readonly status: number | undefined
  declare readonly offset: string | undefined
  declare readonly headers: Headers | undefined
  declare readonly retryAfterMs: number | undefined
  declare readonly location: string | undefined
  declare readonly currentEpoch: number | undefined
  declare readonly expectedSeq: number | undefined
  declare readonly receivedSeq: number | undefined

  constructor(
    code: DurableStreamErrorCode,
    message: string,
    details: DurableStreamErrorDetails
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    // Every detail field, each an own property (undefined when not known); `cause` is Error's own.
    for (const field of DETAIL_FIELDS) (this as Record<string, unknown>)[field] = details[field]
  }
}

// On the prototype, not the instance: it stays out of logs, JSON and inspection.
Object.defineProperty(DurableStreamError.prototype, BRAND, { value: true })

/**
 * True for any error this SDK produced, subclasses (`ValidationError`, …)
 * included. Works across bundled copies: by the shared brand, or by name for
 * copies built before the brand existed.
 */
export function isDurableStreamError(error: unknown): error is DurableStreamError {
  if (error instanceof DurableStreamError) return true
  if (typeof error !== "object" || error === null) return false
  const candidate = error as { code?: unknown; url?: unknown; name?: unknown; [BRAND]?: unknown }
  if (typeof candidate.code !== "string" || typeof candidate.url !== "string") return false
  return candidate[BRAND] === true || candidate.name === "DurableStreamError"
}

/** A caller passed something the protocol cannot express; nothing was sent. */
export function invalidArgument(
  url: string,
  what: string,
  operation?: StreamOperation
): DurableStreamError {
  return new DurableStreamError(
    "INVALID_ARGUMENT",
    `Invalid argument for stream ${url}: ${what}`,
    { url, operation }
  )
}
