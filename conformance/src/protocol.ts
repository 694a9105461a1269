/**
 * The adapter protocol: how the runner talks to a client under test.
 *
 * One JSON object per line in each direction. The runner writes a command to
 * the adapter's stdin and waits for exactly one result line on its stdout
 * before it sends the next command; anything else the adapter wants to say
 * goes to stderr. Field names follow the public client-conformance protocol
 * of the durable-streams project so adapters written for it need few
 * changes; README.md documents the differences.
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
  /** Header and parameter values computed on every request. */
  dynamicHeaders?: boolean
  /** Retry options that can be validated (`validate` with `retry-options`). */
  retryOptions?: boolean
  /** A per-batch item limit for producers (`maxBatchItems`). */
  batchItems?: boolean
  /** Zero is refused where a positive number is needed (not read as "default"). */
  strictZeroValidation?: boolean
}

export type FeatureName = keyof Features

export type LiveMode = false | "auto" | "long-poll" | "sse"

interface PathCommand {
  /** Stream path, appended to the server URL given in `init`. */
  path: string
  /** Extra request headers for this command only. */
  headers?: StringMap
}

export interface InitCommand {
  type: "init"
  serverUrl: string
}

export interface CreateCommand extends PathCommand {
  type: "create"
  contentType?: string
  ttlSeconds?: number
  expiresAt?: string
  closed?: boolean
  /** Initial content; base64 when `binary`. */
  data?: string
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
  /** Sent verbatim as `Stream-Seq`. */
  seq?: string | number
  /** With all three producer fields the append carries the producer headers as given. */
  producerId?: string
  producerEpoch?: number
  producerSeq?: number
}

export interface CloseCommand extends PathCommand {
  type: "close"
  /** Final data appended atomically with the close. */
  data?: string
  binary?: boolean
}

export interface ReadCommand extends PathCommand {
  type: "read"
  offset?: string
  live?: LiveMode | true
  /** Longest the read may run; a live read that hits it still succeeds. */
  timeoutMs?: number
  /** Stop after this many chunks that carry data. */
  maxChunks?: number
  /** Stop as soon as the reader is up to date. */
  waitForUpToDate?: boolean
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
  autoClaim?: boolean
  maxInFlight?: number
  lingerMs?: number
  maxBatchBytes?: number
  maxBatchItems?: number
}

export interface IdempotentAppendCommand extends ProducerCommand {
  type: "idempotent-append"
  /** One message: JSON text on JSON streams, else UTF-8 text (base64 when `binary`). */
  data: string
  binary?: boolean
}

export interface IdempotentAppendBatchCommand extends ProducerCommand {
  type: "idempotent-append-batch"
  /** Messages, queued together so the client may batch and pipeline them. */
  items: string[]
}

export interface IdempotentCloseCommand extends ProducerCommand {
  type: "idempotent-close"
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

export interface ReadChunk {
  /** UTF-8 text, or base64 when `binary`. */
  data: string
  binary?: boolean
  offset?: string
}

/** Fields any successful result may carry besides its own. */
export interface SuccessResult {
  type: Exclude<CommandType, "error">
  success: true
  /** HTTP status of the request that completed the command, when known. */
  status?: number
  offset?: string
  [field: string]: unknown
}

/**
 * Error codes, the same vocabulary for every client. The HTTP status, when
 * there was one, goes in `status`; producer details go in `details`.
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
