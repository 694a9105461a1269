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
  const message = `${DESCRIBE[context.operation]} ${context.url}${where} failed with ${status}${response.statusText ? ` ${response.statusText}` : ""} (${code})${detail}`
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

/** Statuses whose code needs nothing but the status. */
const CODES: Readonly<Record<number, DurableStreamErrorCode>> = {
  401: "UNAUTHORIZED",
  404: "NOT_FOUND",
  410: "GONE",
  413: "PAYLOAD_TOO_LARGE",
  429: "RATE_LIMITED",
}

function codeForStatus(
  status: number,
  headers: Headers,
  context: { operation: StreamOperation; sentStreamSeq?: boolean }
): DurableStreamErrorCode {
  if (status === 400) return context.operation === "read" ? "INVALID_OFFSET" : "BAD_REQUEST"
  // PROTOCOL §5.2.1: a 403 carrying Producer-Epoch is producer fencing
  // (a newer epoch exists), not an authorisation failure.
  if (status === 403) return headers.has(H.producerEpoch) ? "STALE_EPOCH" : "FORBIDDEN"
  if (status === 409) {
    if (flagHeader(headers, H.closed)) return "STREAM_CLOSED"
    return headers.has(H.producerExpectedSeq) || context.sentStreamSeq ? "SEQUENCE_CONFLICT" : "CONFLICT"
  }
  return CODES[status] ?? "UNEXPECTED_STATUS"
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

/** How a message names each operation: "<what> <url> failed with …". */
const DESCRIBE: Readonly<Record<StreamOperation, string>> = {
  create: "Creating stream",
  head: "HEAD of stream",
  delete: "Deleting stream",
  append: "Appending to stream",
  close: "Closing stream",
  read: "Reading stream",
  fork: "Forking into stream",
}
