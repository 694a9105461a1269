import {
  DurableStreamError,
  FetchError,
  SequenceGapError,
  StaleEpochError,
  StreamClosedError,
} from "@durable-streams/client"
import type { CommandType, ErrorCode, ErrorResult } from "../protocol.ts"

/** Options the client's constructors refused (they throw plain Errors). */
export class ArgumentError extends Error {
  override name = "ArgumentError"
}

export function failure(commandType: CommandType, errorCode: ErrorCode, message: string, status?: number): ErrorResult {
  const result: ErrorResult = { type: "error", success: false, commandType, errorCode, message }
  if (status !== undefined) result.status = status
  return result
}

export function notFound(commandType: CommandType, url: string): ErrorResult {
  return failure(commandType, "NOT_FOUND", `stream not found: ${url}`, 404)
}

const PRODUCER_FIELDS = [
  ["producerEpoch", "producer-epoch"],
  ["producerExpectedSeq", "producer-expected-seq"],
  ["producerReceivedSeq", "producer-received-seq"],
] as const

/** This client's errors in the protocol's vocabulary. */
export function errorResult(commandType: CommandType, error: unknown): ErrorResult {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof ArgumentError) return failure(commandType, "INVALID_ARGUMENT", message)
  if (error instanceof StaleEpochError) {
    const result = failure(commandType, "STALE_EPOCH", message, 403)
    result.details = { producerEpoch: error.currentEpoch }
    return result
  }
  if (error instanceof SequenceGapError) {
    const result = failure(commandType, "SEQUENCE_CONFLICT", message, 409)
    result.details = { producerExpectedSeq: error.expectedSeq, producerReceivedSeq: error.receivedSeq }
    return result
  }
  if (error instanceof StreamClosedError) return failure(commandType, "STREAM_CLOSED", message, 409)
  if (error instanceof DurableStreamError) return fromDurableStreamError(commandType, error, message)
  if (error instanceof FetchError) return fromFetchError(commandType, error, message)
  if (error instanceof SyntaxError) return failure(commandType, "PARSE_ERROR", message)
  if (error instanceof TypeError && /fetch failed|network/i.test(message)) return failure(commandType, "NETWORK_ERROR", message)
  return failure(commandType, "INTERNAL_ERROR", `${error instanceof Error ? error.name : "Error"}: ${message}`)
}

function fromDurableStreamError(commandType: CommandType, error: DurableStreamError, message: string): ErrorResult {
  const status = error.status
  switch (error.code) {
    case "NOT_FOUND":
      return failure(commandType, "NOT_FOUND", message, status ?? 404)
    case "CONFLICT_EXISTS":
      return failure(commandType, "CONFLICT", message, status ?? 409)
    case "CONFLICT_SEQ":
      return failure(commandType, "SEQUENCE_CONFLICT", message, status ?? 409)
    case "STREAM_CLOSED":
    case "ALREADY_CLOSED":
      return failure(commandType, "STREAM_CLOSED", message, status)
    case "PARSE_ERROR":
      return failure(commandType, "PARSE_ERROR", message, status)
    case "SSE_NOT_SUPPORTED":
      return failure(commandType, "NOT_SUPPORTED", message, status)
    case "BAD_REQUEST":
      return failure(commandType, commandType === "read" ? "INVALID_OFFSET" : "UNEXPECTED_STATUS", message, status ?? 400)
    default: {
      const fenced = status === 403 && message.toLowerCase().includes("epoch")
      return failure(commandType, fenced ? "STALE_EPOCH" : "UNEXPECTED_STATUS", message, status)
    }
  }
}

function fromFetchError(commandType: CommandType, error: FetchError, message: string): ErrorResult {
  const closed = (error.headers["stream-closed"] ?? "").toLowerCase() === "true"
  let code: ErrorCode = "UNEXPECTED_STATUS"
  if (error.status === 404) code = "NOT_FOUND"
  else if (error.status === 409) {
    code = closed ? "STREAM_CLOSED" : error.headers["producer-expected-seq"] !== undefined ? "SEQUENCE_CONFLICT" : "CONFLICT"
  } else if (error.status === 403 && error.headers["producer-epoch"] !== undefined) code = "STALE_EPOCH"
  else if (error.status === 400 && commandType === "read") code = "INVALID_OFFSET"
  const result = failure(commandType, code, message, error.status)
  const details: Record<string, unknown> = {}
  for (const [field, header] of PRODUCER_FIELDS) {
    const value = error.headers[header]
    if (value !== undefined && /^\d+$/.test(value)) details[field] = Number(value)
  }
  if (Object.keys(details).length > 0) result.details = details
  return result
}
