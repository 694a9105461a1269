import { DEFAULTS } from "./defaults"
import { DurableStreamError } from "./errors"

/**
 * Where a read stands, and the rules for moving it. Pure: no I/O, no
 * timers; every transition returns a new position, so the rules can be
 * tested (and property-tested) on their own.
 */

export interface StreamChunk {
  /** Bytes of this chunk; for JSON streams, one JSON array of messages. */
  data: Uint8Array
  /** Resume point after this chunk: save it to continue exactly here. */
  offset: string
  /** Caught up with the tail for now (not end of stream). */
  upToDate: boolean
  /** The stream is closed and this is its end: no more data will come. */
  closed: boolean
  cursor?: string
}

/** What one response, or one SSE control event with the data before it, says. */
export interface Answer {
  data: Uint8Array
  /** `Stream-Next-Offset`, or the control event's `streamNextOffset`. */
  offset: string
  /** Up to date (implied by `closed`). */
  upToDate: boolean
  closed: boolean
  cursor: string | undefined
}

export interface ReadPosition {
  /** Where the next request reads from. */
  readonly offset: string
  /** Last cursor the server gave, echoed on live requests (PROTOCOL §10.1). */
  readonly cursor: string | undefined
  readonly upToDate: boolean
  readonly closed: boolean
  /** Answers in a row that moved nothing (see `DEFAULTS.maxNoProgressResponses`). */
  readonly idleAnswers: number
}

export function startPosition(offset: string): ReadPosition {
  return { offset, cursor: undefined, upToDate: false, closed: false, idleAnswers: 0 }
}

export interface Step {
  position: ReadPosition
  /** What the consumer should see: data, a moved offset, or news (just caught up, end of stream). */
  chunk: StreamChunk | undefined
  /**
   * The answer told nothing: no data, same offset, not up to date. Asking
   * again at once would spin (thousands of requests a second were
   * measured), so the caller backs off like a retry, attempt
   * `position.idleAnswers - 1`.
   */
  idle: boolean
}

/**
 * Applies one answer. Throws PROTOCOL_VIOLATION when the offset moves
 * backwards, or when `countIdle` answers have told nothing too many times
 * in a row. `countIdle` is off for SSE, where the server paces control
 * events itself.
 */
export function advance(position: ReadPosition, answer: Answer, url: string, countIdle = true): Step {
  if (isBehind(answer.offset, position.offset)) {
    // Offsets of one stream sort lexicographically (G-07): going back would
    // deliver the same data again, forever.
    throw new DurableStreamError(
      "PROTOCOL_VIOLATION",
      `Reading stream ${url}: the server answered offset ${position.offset} with next offset ${answer.offset}, which is behind it`,
      { url, operation: "read", offset: position.offset }
    )
  }
  const moved = answer.offset !== position.offset
  const idle = countIdle && answer.data.length === 0 && !moved && !answer.upToDate
  const idleAnswers = idle ? position.idleAnswers + 1 : 0
  if (idleAnswers > DEFAULTS.maxNoProgressResponses) {
    throw new DurableStreamError(
      "PROTOCOL_VIOLATION",
      `Reading stream ${url} at offset ${position.offset}: ${idleAnswers} answers in a row brought no data, no new offset and no Stream-Up-To-Date`,
      { url, operation: "read", offset: position.offset }
    )
  }
  const cursor = answer.cursor ?? position.cursor
  const next: ReadPosition = {
    offset: answer.offset,
    cursor,
    upToDate: answer.upToDate,
    closed: answer.closed,
    idleAnswers,
  }
  const news = answer.data.length > 0 || answer.closed || moved || (answer.upToDate && !position.upToDate)
  const chunk: StreamChunk | undefined = news
    ? { data: answer.data, offset: answer.offset, upToDate: answer.upToDate, closed: answer.closed }
    : undefined
  if (chunk && cursor !== undefined) chunk.cursor = cursor
  return { position: next, chunk, idle }
}

/**
 * True when `next` sorts before `previous`: an offset going backwards.
 * The sentinels "-1" (start) and "now" (tail) are not positions.
 */
export function isBehind(next: string, previous: string): boolean {
  return previous !== "-1" && previous !== "now" && next < previous
}
