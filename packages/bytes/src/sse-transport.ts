import { decodeBase64 } from "./base64"
import { concatBytes, joinJsonArrays } from "./bytes-util"
import { DurableStreamError } from "./errors"
import { H, isJsonContentType, mediaType } from "./protocol-headers"
import type { Answer } from "./read-position"
import { ENDED, type ConnectionEnd, type TransportContext } from "./read-transport"
import { readSseEvents } from "./sse-events"
import { toStreamError } from "./stream-error"

/**
 * SSE: one `live=sse` connection (PROTOCOL §5.8). Data events are held
 * until the control event after them, which carries their offset: an
 * answer is yielded per control event, so a connection cut mid-batch loses
 * nothing (the server resends from the last control offset) and repeats
 * nothing. Unknown event types are extensions and are ignored.
 */
export async function* sseTransport(context: TransportContext): AsyncGenerator<Answer, ConnectionEnd> {
  const { url, facts } = context
  const { response, connection } = await context.get("sse", {
    okStatuses: [200],
    // A connection that opens and then dies is not progress; its control events are.
    successResetsRetries: false,
    handle: async (res, reader) => ({ response: res, connection: reader.hold() }),
  })
  const body = response.body
  if (body == null) {
    // No streaming bodies here (React Native's fetch: null or no property): SSE cannot work.
    connection.release()
    return { kind: "unsupported" }
  }
  if (response.redirected && response.url) facts.redirectedUrl = response.url
  context.opened()
  const base64 = usesBase64(response.headers, facts.contentType)
  const idleMs = context.sseIdleMs
  // The watchdog: any byte (data, control, a comment) proves the connection alive.
  connection.touch(idleMs)
  const events = readSseEvents(body, { signal: connection.signal, onBytes: () => connection.touch(idleMs) })
  let parts: Array<Uint8Array | string> = []
  let buffered = 0
  try {
    for (;;) {
      let next: IteratorResult<{ event: string | undefined; data: string }>
      try {
        next = await events.next()
      } catch (caught) {
        // Data after the last control event is dropped: the server resends it from that offset.
        const where = { operation: "read" as const, offset: context.position().offset, signal: context.signal }
        return { kind: "cut", error: toStreamError(caught, url, where) }
      }
      if (next.done) return ENDED
      const event = next.value
      if (event.event === "data") {
        buffered += event.data.length
        if (buffered > context.maxSseBufferBytes) throw bufferOverflow(context, buffered)
        parts.push(base64 ? decodeData(context, event.data) : event.data)
      } else if (event.event === "control") {
        const answer = controlAnswer(context, event.data, parts)
        parts = []
        buffered = 0
        yield answer
      }
    }
  } finally {
    connection.release()
    await events.return(undefined)
  }
}

/**
 * The server says so with `Stream-SSE-Data-Encoding: base64`. Cross-origin
 * browsers may not be allowed to read that header, so a known binary
 * content type (neither text/* nor JSON) also means base64: servers must
 * encode those (RD-30).
 */
function usesBase64(headers: Headers, contentType: string | undefined): boolean {
  const declared = headers.get(H.sseEncoding)
  if (declared !== null) return declared.trim().toLowerCase() === "base64"
  if (contentType === undefined) return false
  const type = mediaType(contentType)
  return !type.startsWith("text/") && type !== "application/json"
}

function bufferOverflow(context: TransportContext, buffered: number): DurableStreamError {
  const offset = context.position().offset
  return new DurableStreamError(
    "PROTOCOL_VIOLATION",
    `Reading stream ${context.url} by SSE after offset ${offset}: ${buffered} bytes of data arrived without a control event (limit maxSseBufferBytes = ${context.maxSseBufferBytes})`,
    { url: context.url, operation: "read", offset }
  )
}

function decodeData(context: TransportContext, data: string): Uint8Array {
  const bytes = decodeBase64(data)
  if (bytes === undefined) {
    const offset = context.position().offset
    throw new DurableStreamError(
      "PARSE_ERROR",
      `Reading stream ${context.url} by SSE after offset ${offset}: data event is not valid base64`,
      { url: context.url, operation: "read", offset }
    )
  }
  return bytes
}

function controlAnswer(context: TransportContext, data: string, parts: Array<Uint8Array | string>): Answer {
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
    const offset = context.position().offset
    throw new DurableStreamError(
      "PARSE_ERROR",
      `Reading stream ${context.url} by SSE after offset ${offset}: malformed control event ${JSON.stringify(data.slice(0, 200))}`,
      { url: context.url, operation: "read", offset }
    )
  }
  const closed = fields.streamClosed === true
  return {
    data: isJsonContentType(context.facts.contentType) ? joinJsonArrays(parts) : concatBytes(parts),
    offset: fields.streamNextOffset,
    upToDate: closed || fields.upToDate === true,
    closed,
    cursor: typeof fields.streamCursor === "string" ? fields.streamCursor : undefined,
  }
}
