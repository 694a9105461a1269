import { DurableStreamError } from "./errors"
import type { RequestPlan } from "./http"
import { H, flagHeader } from "./protocol-headers"
import type { Answer } from "./read-position"
import { ENDED, type ConnectionEnd, type TransportContext } from "./read-transport"

/**
 * Catch-up: one plain GET with no `live` parameter (PROTOCOL §5.6). Its URL
 * is the same whichever live mode asked for it, so CDNs cache and collapse
 * these for every reader.
 */
export async function* catchUpTransport(context: TransportContext): AsyncGenerator<Answer, ConnectionEnd> {
  yield await fetchAnswer(context, undefined, { okStatuses: [200] })
  return ENDED
}

/**
 * One GET whose whole body is read inside the attempt: a cut body is
 * retried, never half-delivered. Shared by catch-up and long-poll. Not an
 * async function: an idle long-poll waits in here, and an async function's
 * suspended frame is one more thing it would hold.
 */
export function fetchAnswer(
  context: TransportContext,
  live: "long-poll" | undefined,
  plan: Pick<RequestPlan<unknown>, "okStatuses" | "timeoutMs" | "reissueOnTimeout">
): Promise<Answer> {
  const { facts } = context
  return context
    .get(live, {
      ...plan,
      handle: async (res, reader) => {
        context.opened()
        const streamed = res.body != null
        const data = res.status === 204 ? (reader.discard(), new Uint8Array(0)) : await reader.bytes()
        // Data that came without a body stream means this fetch cannot stream (React
        // Native's has no `body` at all). An empty body may legitimately have none.
        if (!streamed && data.length > 0) facts.streamingBodies = false
        if (res.redirected && res.url) facts.redirectedUrl = res.url
        return { headers: res.headers, status: res.status, data }
      },
    })
    .then((response) => toAnswer(context, response))
}

function toAnswer(
  context: TransportContext,
  response: { headers: Headers; status: number; data: Uint8Array }
): Answer {
  const { facts } = context
  const headers = response.headers
  const contentType = headers.get(H.contentType)
  if (contentType && response.status === 200) facts.contentType = contentType
  const offset = headers.get(H.nextOffset)
  if (offset === null || offset === "") {
    const at = context.position().offset
    throw new DurableStreamError(
      "PARSE_ERROR",
      `Reading stream ${context.url} at offset ${at}: response has no Stream-Next-Offset header`,
      { url: context.url, operation: "read", offset: at, status: response.status }
    )
  }
  const closed = flagHeader(headers, H.closed)
  return {
    data: response.data,
    offset,
    upToDate: closed || response.status === 204 || flagHeader(headers, H.upToDate),
    closed,
    cursor: headers.get(H.cursor) ?? undefined,
  }
}
