import { DurableStreamError } from "./errors"
import { H, flagHeader } from "./protocol-headers"
import type { Answer } from "./read-position"

/**
 * Catch-up and long-poll: one GET whose whole body is read inside the
 * attempt, so a cut body is retried, never half-delivered. Catch-up has no
 * `live` parameter (PROTOCOL §5.6): its URL is the same whichever live mode
 * asked for it, so CDNs cache and collapse it for every reader. Long-poll
 * adds `live=long-poll` and the last cursor (§5.7): the server holds it until
 * data arrives or its wait ends with 204 ("nothing yet", up to date); the
 * client's limit exceeds the server's wait, and on expiry the poll is simply
 * reissued (RD-25), not counted as a failure. The requests themselves are
 * made by the read machine (read-machine.ts); this is what an answer says.
 */
export function responseAnswer(
  url: string,
  at: string,
  response: { headers: Headers; status: number },
  data: Uint8Array
): Answer {
  const headers = response.headers
  const offset = headers.get(H.nextOffset)
  if (offset === null || offset === "") {
    throw new DurableStreamError(
      "PARSE_ERROR",
      `Reading stream ${url} at offset ${at}: response has no Stream-Next-Offset header`,
      { url, operation: "read", offset: at, status: response.status }
    )
  }
  const closed = flagHeader(headers, H.closed)
  return {
    data,
    offset,
    upToDate: closed || response.status === 204 || flagHeader(headers, H.upToDate),
    closed,
    cursor: headers.get(H.cursor) ?? undefined,
  }
}
