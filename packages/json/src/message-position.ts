/**
 * Per-message positions. A read batch starts at the offset it was read from
 * (a server offset, or `-1`/`now` for a read's first batch) and its messages
 * follow in order, so "start offset + index" names each message without the
 * app counting. The protocol sends no append boundaries inside a response and
 * no sub-offsets on reads (FK-09): see `MessagePosition` for what that means.
 */
import type { ForkPoint } from "@durable-client/bytes"

/**
 * Where a message of a JSON read sits: `index` messages past `offset`, the
 * offset its batch was read from. Pass it to `fork({ at })` to fork right
 * before that message (the fork holds every message before it).
 *
 * - As a fork point it works when the message lies in the append that starts
 *   at `offset` (a live batch of one append, the first append of a catch-up
 *   batch, `index` 0 always); elsewhere the server refuses it, a ForkError
 *   INVALID_FORK_POINT. A position of a read's first batch from `-1` or
 *   `now` has no server offset under it: the same ForkError, before any
 *   request.
 * - As a key (`key`) it is unique within a read and the same every time
 *   that read is repeated from the same offset over the same batches. Other
 *   readers may see other batch boundaries (they start elsewhere, or a
 *   response holds more appends) and name the same message differently, so
 *   use your own ids for identity across clients.
 */
export interface MessagePosition extends ForkPoint {
  /** `offset` and `index` in one string, for maps and React keys. */
  readonly key: string
}

/** The position of message `index` of a batch read from `offset`. */
export function messagePosition(offset: string, index: number): MessagePosition {
  return Object.freeze({ offset, index, key: `${offset}#${index}` })
}

/** A message and its position, as `JsonReadSession.entries()` yields them. */
export interface PositionedMessage<T> {
  value: T
  position: MessagePosition
}
