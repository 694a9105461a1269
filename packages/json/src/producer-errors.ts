import { DurableStreamError } from "@durable-client/bytes"
import { ProtocolHeaders as H } from "@durable-client/bytes/internal"

/** Who is speaking in a producer's errors: the stream and the producer id. */
export interface ProducerIdentity {
  url: string
  producerId: string
}

/** A 403: a newer epoch took over. `serverEpoch` is the 403's `Producer-Epoch`, when it is a whole number. */
export function staleEpochError(
  who: ProducerIdentity,
  epoch: number,
  serverEpoch: number | undefined,
  cause: DurableStreamError
): DurableStreamError {
  const named = serverEpoch ?? cause.headers?.get(H.producerEpoch) ?? "(unknown)"
  return new DurableStreamError(
    "STALE_EPOCH",
    `Producer ${who.producerId} on stream ${who.url} was fenced: epoch ${epoch} is older than the server's epoch ${named}. Another instance took over; restart() or autoClaim to take it back.`,
    { url: who.url, operation: "append", status: 403, headers: cause.headers, currentEpoch: serverEpoch, cause }
  )
}

/**
 * A 204 "duplicate" for a tuple this instance never had stored: another
 * instance (an earlier life without persisted state, or a twin) used the
 * epoch, and the batch was dropped, not stored.
 */
export function epochInUseError(
  who: ProducerIdentity,
  batch: { epoch: number; seq: number; close: boolean },
  serverSeq: number | undefined
): DurableStreamError {
  const seen = serverSeq === undefined ? "" : ` (the server has its seqs up to ${serverSeq})`
  return new DurableStreamError(
    "STALE_EPOCH",
    `Producer ${who.producerId} on stream ${who.url}: epoch ${batch.epoch} is already in use by another instance${seen}, so seq ${batch.seq} was answered as a duplicate and not stored. Persist and bump the epoch, restart(), or use autoClaim.`,
    { url: who.url, operation: batch.close ? "close" : "append", currentEpoch: batch.epoch }
  )
}

/** The producer's signal fired. */
export function producerAbortedError(who: ProducerIdentity): DurableStreamError {
  return new DurableStreamError("ABORTED", `Producer ${who.producerId} on stream ${who.url} was aborted`, {
    url: who.url,
    operation: "append",
  })
}

/** An append after close(), detach() or an abort. */
export function notOpenError(who: ProducerIdentity, state: string): DurableStreamError {
  return new DurableStreamError(
    "STREAM_CLOSED",
    `Producer ${who.producerId} on stream ${who.url} is ${state}: it accepts no more appends`,
    { url: who.url, operation: "append" }
  )
}
