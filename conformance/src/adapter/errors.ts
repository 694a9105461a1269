import { isDurableStreamError, type DurableStreamErrorCode } from "@durable-client/json"
import { ProtocolHeaders as H } from "@durable-client/json/internal"
import type { CommandType, ErrorCode, ErrorResult } from "../protocol.ts"

/**
 * Our SDK's error codes in the protocol's vocabulary. Statuses the protocol
 * has no special code for (400 on a write, 410, 413, 429, 5xx after the
 * retries) are UNEXPECTED_STATUS; the status itself travels in `status`.
 */
const CODES: Record<DurableStreamErrorCode, ErrorCode> = {
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  SEQUENCE_CONFLICT: "SEQUENCE_CONFLICT",
  STREAM_CLOSED: "STREAM_CLOSED",
  STALE_EPOCH: "STALE_EPOCH",
  INVALID_OFFSET: "INVALID_OFFSET",
  PARSE_ERROR: "PARSE_ERROR",
  VALIDATION: "PARSE_ERROR",
  NETWORK: "NETWORK_ERROR",
  TIMEOUT: "TIMEOUT",
  ABORTED: "TIMEOUT",
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  BAD_REQUEST: "UNEXPECTED_STATUS",
  UNAUTHORIZED: "UNEXPECTED_STATUS",
  FORBIDDEN: "UNEXPECTED_STATUS",
  RATE_LIMITED: "UNEXPECTED_STATUS",
  GONE: "UNEXPECTED_STATUS",
  PAYLOAD_TOO_LARGE: "UNEXPECTED_STATUS",
  UNEXPECTED_STATUS: "UNEXPECTED_STATUS",
  REDIRECTED: "UNEXPECTED_STATUS",
  PROTOCOL_VIOLATION: "PARSE_ERROR",
  CALLBACK_FAILED: "INTERNAL_ERROR",
}

export function errorResult(commandType: CommandType, error: unknown): ErrorResult {
  if (isDurableStreamError(error)) {
    const result: ErrorResult = {
      type: "error",
      success: false,
      commandType,
      errorCode: CODES[error.code] ?? "INTERNAL_ERROR",
      message: error.message,
    }
    if (error.status !== undefined) result.status = error.status
    const details = producerDetails(error.headers)
    if (error.code === "STREAM_CLOSED" && error.offset !== undefined) details.finalOffset = error.offset
    if (Object.keys(details).length > 0) result.details = details
    return result
  }
  return {
    type: "error",
    success: false,
    commandType,
    errorCode: "INTERNAL_ERROR",
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  }
}

export function failure(
  commandType: CommandType,
  errorCode: ErrorCode,
  message: string
): ErrorResult {
  return { type: "error", success: false, commandType, errorCode, message }
}

/** Producer response headers as numbers, named as in results. */
export function producerDetails(headers: Headers | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (!headers) return out
  const fields: Array<[string, string]> = [
    ["producerEpoch", H.producerEpoch],
    ["producerSeq", H.producerSeq],
    ["producerExpectedSeq", H.producerExpectedSeq],
    ["producerReceivedSeq", H.producerReceivedSeq],
  ]
  for (const [field, header] of fields) {
    const value = headers.get(header)
    if (value !== null && /^\d+$/.test(value)) out[field] = Number(value)
  }
  return out
}
