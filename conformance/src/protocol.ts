/**
 * The adapter protocol: how a runner talks to a client under test.
 *
 * One JSON object per line in each direction. The runner writes a command to
 * the adapter's stdin and waits for exactly one result line on its stdout
 * before it sends the next command; anything else the adapter wants to say
 * goes to stderr.
 *
 * These are the message shapes of the public durable-streams
 * client-conformance protocol, field for field, so an adapter written for
 * that harness runs here unchanged and ours runs there. A few fields are
 * marked "extension": optional additions this suite uses where the public
 * protocol has nothing; an adapter that ignores them is still read
 * correctly. README.md lists the conventions (statuses, chunk encoding,
 * header names) that the types alone do not say.
 */

/** Request headers or query parameters as plain strings. */
export type StringMap = Record<string, string>

/** Capabilities an adapter reports from `init`; cases that need more are skipped. */
export interface Features {
  /** Client-side batching of idempotent-producer appends. */
  batching?: boolean
  sse?: boolean
  longPoll?: boolean
  /** Catch-up with plain GETs, then a live transport of the client's choice. */
  auto?: boolean
  /** Reads that deliver data as it arrives (not only whole responses). */
  streaming?: boolean
  /** Header and parameter values computed on every request. */
  dynamicHeaders?: boolean
  /** Retry options that can be validated (`validate` with `retry-options`). */
  retryOptions?: boolean
  /** A per-batch item limit for producers (`maxBatchItems`). */
  batchItems?: boolean
  /** Zero is refused where a positive number is needed (not read as "default"). */
  strictZeroValidation?: boolean
  /** Extension: forks made by the client (`fork`). */
  fork?: boolean
}

export type FeatureName = keyof Features

export const FEATURE_NAMES: readonly FeatureName[] = [
  "batching",
  "sse",
  "longPoll",
  "auto",
  "streaming",
  "dynamicHeaders",
  "retryOptions",
  "batchItems",
  "strictZeroValidation",
  "fork",
]

/**
 * `false`: catch up and stop. `true`: catch up, then live with a transport of
 * the client's choice (the public protocol's name for "auto"; adapters
 * should also accept the older spelling `"auto"`).
 */
export type LiveMode = false | true | "long-poll" | "sse"

interface PathCommand {
  /** Stream path, appended to the server URL given in `init`. */
  path: string
  /** Extra request headers for this command only, names as given. */
  headers?: StringMap
}

export interface InitCommand {
  type: "init"
  serverUrl: string
  /** Optional default timeout for operations, in milliseconds. */
  timeoutMs?: number
}

export interface CreateCommand extends PathCommand {
  type: "create"
  contentType?: string
  ttlSeconds?: number
  expiresAt?: string
  /** Create the stream already closed. */
  closed?: boolean
  /** Initial content (text). */
  data?: string
  /** Extension: `data` is base64. */
  binary?: boolean
}

export interface ConnectCommand extends PathCommand {
  type: "connect"
}

export interface AppendCommand extends PathCommand {
  type: "append"
  /** The exact request body: UTF-8 text, or base64 when `binary`. */
  data: string
  binary?: boolean
  /** Sent verbatim as `Stream-Seq` (a string is an extension; the public type is a number). */
  seq?: number | string
  /** Producer headers, sent exactly as given, even when only some are present. */
  producerId?: string
  producerEpoch?: number
  producerSeq?: number
}

export interface CloseCommand {
  type: "close"
  path: string
  /** A final message appended atomically with the close. */
  data?: string
  /** Content type for the final message. */
  contentType?: string
  /** Extension: `data` is base64. */
  binary?: boolean
  /** Extension: extra request headers. */
  headers?: StringMap
}

export interface ReadCommand extends PathCommand {
  type: "read"
  offset?: string
  /** See LiveMode; `"auto"` is accepted as a synonym of `true`. */
  live?: LiveMode | "auto"
  /** Longest the read may run; a live read that hits it still succeeds. */
  timeoutMs?: number
  /** Stop after this many chunks that carry data. */
  maxChunks?: number
  /** Stop as soon as the reader is up to date. */
  waitForUpToDate?: boolean
}

/**
 * Extension: the client forks `source` into `path` (PROTOCOL §4.2): the fork
 * holds the source's data before `offset` (default: its tail), refined by
 * `subOffset` (messages on JSON streams, bytes otherwise). → `{status (201
 * created, 200 the same fork again), offset?, contentType?}`.
 */
export interface ForkCommand extends PathCommand {
  type: "fork"
  /** The source's path; the runner fills in the case's stream. */
  source: string
  offset?: string
  subOffset?: number
  ttlSeconds?: number
  expiresAt?: string
}

export interface HeadCommand extends PathCommand {
  type: "head"
}

export interface DeleteCommand extends PathCommand {
  type: "delete"
}

interface ProducerCommand extends PathCommand {
  producerId: string
  epoch: number
  /** Claim a newer epoch when fenced (403 with `Producer-Epoch`). */
  autoClaim?: boolean
  /** Requests in flight at once (public only on batches; here on every producer command). */
  maxInFlight?: number
  /** Extension: producer tuning, passed through to the client's producer. */
  lingerMs?: number
  maxBatchBytes?: number
  maxBatchItems?: number
}

export interface IdempotentAppendCommand extends ProducerCommand {
  type: "idempotent-append"
  /** One message: JSON text on JSON streams, else UTF-8 text (base64 when `binary`). */
  data: string
  /** Extension: `data` is base64. */
  binary?: boolean
}

export interface IdempotentAppendBatchCommand extends ProducerCommand {
  type: "idempotent-append-batch"
  /** Messages, queued together on a fresh producer so the client may batch and pipeline them. */
  items: string[]
}

export interface IdempotentCloseCommand extends ProducerCommand {
  type: "idempotent-close"
  /** A final message, appended atomically with the close. */
  data?: string
}

export interface IdempotentDetachCommand extends ProducerCommand {
  type: "idempotent-detach"
}

export interface SetDynamicHeaderCommand {
  type: "set-dynamic-header"
  name: string
  valueType: "counter" | "timestamp" | "token"
  initialValue?: string
}

export interface SetDynamicParamCommand {
  type: "set-dynamic-param"
  name: string
  valueType: "counter" | "timestamp"
}

export interface ClearDynamicCommand {
  type: "clear-dynamic"
}

export type ValidateTarget =
  | {
      target: "retry-options"
      maxRetries?: number
      initialDelayMs?: number
      maxDelayMs?: number
      multiplier?: number
    }
  | {
      target: "idempotent-producer"
      producerId?: string
      epoch?: number
      maxBatchBytes?: number
      maxBatchItems?: number
    }

export interface ValidateCommand {
  type: "validate"
  target: ValidateTarget
}

/**
 * What a benchmark times. `roundtrip` and `throughput_append` create their
 * stream if it does not exist (content type `contentType`, default
 * `application/octet-stream`); `append`, `read` and `throughput_read` act on
 * a stream the runner prepared.
 */
export type BenchmarkOperation =
  | { op: "append"; path: string; size: number }
  | { op: "read"; path: string; offset?: string }
  | { op: "roundtrip"; path: string; size: number; live?: "long-poll" | "sse"; contentType?: string }
  | { op: "create"; path: string; contentType?: string }
  | { op: "throughput_append"; path: string; count: number; size: number; concurrency: number }
  | { op: "throughput_read"; path: string; expectedCount?: number }

export interface BenchmarkCommand {
  type: "benchmark"
  iterationId: string
  operation: BenchmarkOperation
}

export interface ShutdownCommand {
  type: "shutdown"
}

export type Command =
  | InitCommand
  | CreateCommand
  | ConnectCommand
  | AppendCommand
  | CloseCommand
  | ReadCommand
  | HeadCommand
  | DeleteCommand
  | ForkCommand
  | IdempotentAppendCommand
  | IdempotentAppendBatchCommand
  | IdempotentCloseCommand
  | IdempotentDetachCommand
  | SetDynamicHeaderCommand
  | SetDynamicParamCommand
  | ClearDynamicCommand
  | ValidateCommand
  | BenchmarkCommand
  | ShutdownCommand

export type CommandType = Command["type"]

/**
 * One delivery of a read. `data` is the text of the bytes; only bytes that
 * are not valid UTF-8 travel as base64, marked `binary: true`. On a JSON
 * stream `data` is a JSON array of the delivery's messages.
 */
export interface ReadChunk {
  data: string
  binary?: boolean
  offset?: string
}

/**
 * Fields any successful result may carry besides its own. `status` follows
 * the public conventions: 200 for every success except `create` (201 when
 * this call created the stream, 200 when it already existed) and an
 * `append` with producer headers (the server's own 200, or 204 for a
 * duplicate, with `duplicate: true`).
 */
export interface SuccessResult {
  type: Exclude<CommandType, "error">
  success: true
  status?: number
  offset?: string
  [field: string]: unknown
}

/**
 * Error codes, the same vocabulary for every client (the public list plus
 * the extension STALE_EPOCH). The HTTP status, when there was one, goes in
 * `status`; producer details go in `details`.
 */
export const ERROR_CODES = [
  "NETWORK_ERROR",
  "TIMEOUT",
  "CONFLICT",
  "NOT_FOUND",
  "SEQUENCE_CONFLICT",
  "STREAM_CLOSED",
  "STALE_EPOCH",
  "INVALID_OFFSET",
  "UNEXPECTED_STATUS",
  "PARSE_ERROR",
  "INVALID_ARGUMENT",
  "INTERNAL_ERROR",
  "NOT_SUPPORTED",
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

export interface ErrorResult {
  type: "error"
  success: false
  commandType: CommandType
  status?: number
  errorCode: ErrorCode
  message: string
  details?: Record<string, unknown>
}

export type Result = SuccessResult | ErrorResult

/**
 * JSON for one protocol line. U+2028 and U+2029 are legal inside JSON
 * strings but some line readers split on them, so they are escaped.
 */
export function toLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u2028\u2029]/g, (c) =>
    c === "\u2028" ? "\\u2028" : "\\u2029"
  )
}
