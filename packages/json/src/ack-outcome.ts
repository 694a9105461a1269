/**
 * What a producer's 200/204 answer means (PROTOCOL §5.2.1, IP-06..IP-09).
 *
 * - "stored": the batch was appended now.
 * - "duplicate": the server already had it from an earlier attempt of ours
 *   whose answer was lost. Stored once; resend nothing.
 * - "epoch-in-use": the server already had this (epoch, seq) from ANOTHER
 *   instance of the producer id (an earlier life without persisted state,
 *   or a twin). The batch was dropped, not stored.
 * - "verify-closed": a close-only 204 that cannot be told apart from that
 *   case by its headers; the caller checks whether the stream is closed.
 *
 * The server deduplicates by tuple alone, so a 204 can only be ours if an
 * earlier attempt of the same tuple may have been stored. A 204 to a tuple
 * sent for the first time (or only after answers that stored nothing) is
 * someone else's. Pure: all state comes in through `AckFacts`.
 */
export type AckOutcome = "stored" | "duplicate" | "epoch-in-use" | "verify-closed"

export interface AckFacts {
  status: number
  /** A close without a final message: its success is a 204 as well. */
  closeOnly: boolean
  seq: number
  /** `Producer-Seq` of the answer: the highest seq the server accepted in this epoch. */
  serverSeq: number | undefined
  /** Highest seq this instance has assigned in the epoch. */
  highestSentSeq: number
  /** An earlier attempt of this tuple may have been stored (network error, timeout, 5xx). */
  mayBeStored: boolean
  /** The server stored (200) one of this instance's batches in this epoch. */
  storedInEpoch: boolean
}

export function classifyAck(facts: AckFacts): AckOutcome {
  if (facts.status === 200) return "stored"
  // Seqs beyond any this instance assigned can only be another instance's.
  if (facts.serverSeq !== undefined && facts.serverSeq > facts.highestSentSeq) return "epoch-in-use"
  if (facts.closeOnly) {
    // Success and a resend of our own close both echo our seq; a duplicate
    // against another instance's state echoes its last seq.
    if (facts.serverSeq !== undefined && facts.serverSeq !== facts.seq) return "epoch-in-use"
    // Another instance's last seq may equal ours. After the server stored a
    // batch of ours in this epoch its state is ours; before that, ask.
    return facts.storedInEpoch ? "stored" : "verify-closed"
  }
  return facts.mayBeStored ? "duplicate" : "epoch-in-use"
}
