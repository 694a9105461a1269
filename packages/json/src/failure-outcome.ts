import type { DurableStreamError } from "@durable-client/bytes"
import { ProtocolHeaders as H, defaultIsRetryable, mayHaveBeenStored } from "@durable-client/bytes/internal"

/**
 * What a producer's failed request means, once the handle's retries are
 * spent or the failure is not retryable (PROTOCOL §5.2.1, IP-06..IP-09).
 * The sibling of `ack-outcome.ts`, which reads the 200/204 answers.
 *
 * - "gap": a 409 with `Producer-Expected-Seq`. A later batch overtook an
 *   earlier one on the wire; it can be resent once the earlier ones settle.
 * - "stale-epoch": a 403 with `Producer-Epoch`: a newer epoch fenced us.
 *   `serverEpoch` is undefined when the header is not a safe integer.
 * - "too-large": a 413. Nothing from this seq on was stored: a batch of
 *   several messages is split and renumbered, a single message fails alone
 *   (PAYLOAD_TOO_LARGE) and the producer goes on.
 * - "fatal": anything else. The batch, and every later one, fails with it.
 *
 * Pure. A new answer the producer should handle is one more kind here and
 * one more case in the core.
 */
export type FailureOutcome =
  | { kind: "gap"; expectedSeq: number | undefined }
  | { kind: "stale-epoch"; serverEpoch: number | undefined }
  | { kind: "too-large" }
  | { kind: "fatal" }

export function classifyFailure(error: DurableStreamError): FailureOutcome {
  if (error.code === "SEQUENCE_CONFLICT" && error.headers?.has(H.producerExpectedSeq)) {
    const expectedSeq = Number(error.headers.get(H.producerExpectedSeq))
    return { kind: "gap", expectedSeq: Number.isSafeInteger(expectedSeq) && expectedSeq >= 0 ? expectedSeq : undefined }
  }
  if (error.code === "PAYLOAD_TOO_LARGE") return { kind: "too-large" }
  if (error.status === 403 && error.headers?.has(H.producerEpoch)) {
    const serverEpoch = Number(error.headers.get(H.producerEpoch))
    return { kind: "stale-epoch", serverEpoch: Number.isSafeInteger(serverEpoch) ? serverEpoch : undefined }
  }
  return { kind: "fatal" }
}

/**
 * One failed attempt, while the handle still retries: may it have been
 * stored, and may it be retried? Both answers come from the bytes layer's
 * retry policy. Resending is always safe here: the same epoch, seq and bytes
 * make the server drop a duplicate, so every retryable failure is retried.
 */
export function classifyAttempt(error: DurableStreamError): { mayBeStored: boolean; retryable: boolean } {
  return { mayBeStored: mayHaveBeenStored(error), retryable: defaultIsRetryable(error) }
}
