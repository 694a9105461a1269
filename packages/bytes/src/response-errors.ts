import {
  DurableStreamError,
  type DurableStreamErrorCode,
  type StreamOperation,
} from "./errors"
import { concatBytes } from "./bytes-util"
import { redactSecrets } from "./redact"
import { producerFields } from "./producer-fields"
import { H, flagHeader } from "./protocol-headers"
import { parseRetryAfter } from "./retry-policy"

/** Characters of an error body quoted in a message: enough for a server's reason, bounded for logs. */
const MAX_BODY_IN_MESSAGE = 300
/** Bytes of an error body read at all: a server that streams an endless error page is not our heap's problem. */
const MAX_BODY_READ = 4096

/**
 * Turns a non-success response into a typed error. Causes are told apart by
 * headers only (the protocol defines no error body); the body text is kept
 * in the message purely as context for humans.
 */
export async function errorFromResponse(
  response: Response,
  context: {
    url: string
    operation: StreamOperation
    offset?: string
    sentStreamSeq?: boolean
    /** Values the caller sent (auth headers, token params): redacted from the quoted body. */
    secrets?: readonly string[]
  }
): Promise<DurableStreamError> {
  const { status, headers } = response
  const code = codeForStatus(status, headers, context)
  const bodyText = excerpt(redactSecrets(await readErrorBody(response), context.secrets ?? []))
  const detail = bodyText ? `: ${bodyText}` : ""
  const where = context.offset === undefined ? "" : ` at offset ${context.offset}`
  const message = `${describe(context.operation)} ${context.url}${where} failed with ${status}${response.statusText ? ` ${response.statusText}` : ""} (${code})${detail}`
  return new DurableStreamError(code, message, {
    url: context.url,
    operation: context.operation,
    status,
    offset:
      code === "STREAM_CLOSED"
        ? (headers.get(H.nextOffset) ?? context.offset)
        : context.offset,
    headers,
    retryAfterMs: parseRetryAfter(headers.get(H.retryAfter)),
    ...producerFields(headers),
  })
}

function codeForStatus(
  status: number,
  headers: Headers,
  context: { operation: StreamOperation; sentStreamSeq?: boolean }
): DurableStreamErrorCode {
  switch (status) {
    case 400:
      return context.operation === "read" ? "INVALID_OFFSET" : "BAD_REQUEST"
    case 401:
      return "UNAUTHORIZED"
    case 403:
      // PROTOCOL §5.2.1: a 403 carrying Producer-Epoch is producer fencing
      // (a newer epoch exists), not an authorisation failure.
      return headers.has(H.producerEpoch) ? "STALE_EPOCH" : "FORBIDDEN"
    case 404:
      return "NOT_FOUND"
    case 409:
      if (flagHeader(headers, H.closed)) return "STREAM_CLOSED"
      if (headers.has(H.producerExpectedSeq) || context.sentStreamSeq) {
        return "SEQUENCE_CONFLICT"
      }
      return "CONFLICT"
    case 410:
      return "GONE"
    case 413:
      return "PAYLOAD_TOO_LARGE"
    case 429:
      return "RATE_LIMITED"
    default:
      return "UNEXPECTED_STATUS"
  }
}

async function readErrorBody(response: Response): Promise<string> {
  try {
    const bytes = await readPrefix(response, MAX_BODY_READ)
    return new TextDecoder().decode(bytes).trim()
  } catch {
    return ""
  }
}

function excerpt(text: string): string {
  return text.length > MAX_BODY_IN_MESSAGE ? `${text.slice(0, MAX_BODY_IN_MESSAGE)}…` : text
}

async function readPrefix(response: Response, limit: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array(await response.arrayBuffer()).subarray(0, limit)
  const reader = response.body.getReader()
  const parts: Uint8Array[] = []
  let length = 0
  try {
    while (length < limit) {
      const { done, value } = await reader.read()
      if (done) break
      parts.push(value)
      length += value.length
    }
  } finally {
    if (length >= limit) void reader.cancel().catch(() => undefined)
    reader.releaseLock()
  }
  return concatBytes(parts).subarray(0, limit)
}

function describe(operation: StreamOperation): string {
  switch (operation) {
    case "create":
      return "Creating stream"
    case "head":
      return "HEAD of stream"
    case "delete":
      return "Deleting stream"
    case "append":
      return "Appending to stream"
    case "close":
      return "Closing stream"
    case "read":
      return "Reading stream"
    case "fork":
      return "Forking into stream"
  }
}
