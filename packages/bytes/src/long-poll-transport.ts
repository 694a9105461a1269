import { fetchAnswer } from "./catch-up-transport"
import type { Answer } from "./read-position"
import { ENDED, type ConnectionEnd, type TransportContext } from "./read-transport"

/**
 * Long-poll: `live=long-poll` with the last cursor (PROTOCOL §5.7). The
 * server holds the request until data arrives or its wait ends with 204
 * ("nothing yet", up to date). The client's limit exceeds the server's wait,
 * and on expiry the poll is simply reissued (RD-25), not counted as a failure.
 */
export async function* longPollTransport(context: TransportContext): AsyncGenerator<Answer, ConnectionEnd> {
  yield await fetchAnswer(context, "long-poll", {
    okStatuses: [200, 204],
    timeoutMs: context.longPollTimeoutMs,
    reissueOnTimeout: true,
  })
  return ENDED
}
