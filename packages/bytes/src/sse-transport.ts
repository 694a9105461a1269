import { decodeBase64 } from "./base64"
import { concatBytes, joinJsonArrays } from "./bytes-util"
import { DurableStreamError } from "./errors"
import { H, isJsonContentType, mediaType } from "./protocol-headers"
import type { Answer } from "./read-position"

/**
 * SSE: one `live=sse` connection (PROTOCOL §5.8). Data events are held
 * until the control event after them, which carries their offset: an
 * answer is made per control event, so a connection cut mid-batch loses
 * nothing (the server resends from the last control offset) and repeats
 * nothing. Unknown event types are extensions and are ignored. The
 * connection itself is held by the read machine (read-machine.ts); these
 * are the rules for what its events say.
 */

/**
 * The server says so with `Stream-SSE-Data-Encoding: base64`. Cross-origin
 * browsers may not be allowed to read that header, so a known binary
 * content type (neither text/* nor JSON) also means base64: servers must
 * encode those (RD-30).
 */
export function usesBase64(headers: Headers, contentType: string | undefined): boolean {
  const declared = headers.get(H.sseEncoding)
  if (declared !== null) return declared.trim().toLowerCase() === "base64"
  if (contentType === undefined) return false
  const type = mediaType(contentType)
  return !type.startsWith("text/") && type !== "application/json"
}

function sseError(code: "PROTOCOL_VIOLATION" | "PARSE_ERROR", url: string, offset: string, what: string): DurableStreamError {
  return new DurableStreamError(code, `Reading stream ${url} by SSE after offset ${offset}: ${what}`, { url, operation: "read", offset })
}

export function bufferOverflow(url: string, offset: string, buffered: number, limit: number): DurableStreamError {
  return sseError("PROTOCOL_VIOLATION", url, offset, `${buffered} bytes of data arrived without a control event (limit maxSseBufferBytes = ${limit})`)
}

export function decodeData(url: string, offset: string, data: string): Uint8Array {
  const bytes = decodeBase64(data)
  if (bytes === undefined) {
    throw sseError("PARSE_ERROR", url, offset, "data event is not valid base64")
  }
  return bytes
}

export function controlAnswer(
  url: string,
  offset: string,
  contentType: string | undefined,
  data: string,
  parts: Array<Uint8Array | string>
): Answer {
  let control: unknown
  try {
    control = JSON.parse(data)
  } catch {
    control = undefined
  }
  const fields = (control ?? {}) as {
    streamNextOffset?: unknown
    streamCursor?: unknown
    upToDate?: unknown
    streamClosed?: unknown
  }
  if (
    typeof control !== "object" ||
    control === null ||
    typeof fields.streamNextOffset !== "string" ||
    fields.streamNextOffset === ""
  ) {
    throw sseError("PARSE_ERROR", url, offset, `malformed control event ${JSON.stringify(data.slice(0, 200))}`)
  }
  const closed = fields.streamClosed === true
  return {
    data: isJsonContentType(contentType) ? joinJsonArrays(parts) : concatBytes(parts),
    offset: fields.streamNextOffset,
    upToDate: closed || fields.upToDate === true,
    closed,
    cursor: typeof fields.streamCursor === "string" ? fields.streamCursor : undefined,
  }
}
