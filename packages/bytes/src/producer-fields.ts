import type { DurableStreamErrorDetails } from "./errors"
import { H } from "./protocol-headers"

/**
 * The typed producer fields of an error response (PROTOCOL §5.2.1): the
 * server's epoch on a 403 stale-epoch answer, the expected and received seq
 * on a 409 sequence gap. Only whole numbers count: a header that is missing
 * or malformed leaves its field undefined rather than NaN.
 */
export function producerFields(
  headers: Headers
): Pick<DurableStreamErrorDetails, "currentEpoch" | "expectedSeq" | "receivedSeq"> {
  return {
    currentEpoch: wholeNumberHeader(headers, H.producerEpoch),
    expectedSeq: wholeNumberHeader(headers, H.producerExpectedSeq),
    receivedSeq: wholeNumberHeader(headers, H.producerReceivedSeq),
  }
}

function wholeNumberHeader(headers: Headers, name: string): number | undefined {
  const text = headers.get(name)
  if (text === null || !/^\d+$/.test(text)) return undefined
  const value = Number(text)
  return Number.isSafeInteger(value) ? value : undefined
}
