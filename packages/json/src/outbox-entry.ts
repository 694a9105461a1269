import { decodeBase64, describeValue, encodeBase64, invalidArgument } from "@durable-client/bytes/internal"
import type { Payload } from "./batch-builder"

/**
 * How a producer's outbox is laid out in its key-value store, and the checks
 * that turn anything corrupt or foreign into an INVALID_ARGUMENT.
 *
 * Every message a producer accepts gets an index (0, 1, 2, … in stream
 * order). Messages live in segments of `SEGMENT_SIZE` consecutive indexes,
 * one key each, so a write stores only the segments that gained messages
 * (the last, partial one is rewritten until it is full): writing n messages
 * costs O(n), however they trickle in. A small head entry says which of them
 * are still owed to the stream: those in [low, end) that are not `settled`,
 * with the (epoch, seq) of the batches that were sent and may be stored.
 */

/** Messages per segment: bounds what one write rewrites and the number of keys a restore reads. */
export const SEGMENT_SIZE = 64

const HEAD_FORMAT = "durable-client/producer-outbox@2"
const SEGMENT_FORMAT = "durable-client/producer-outbox-segment@2"

/** A batch sent under a tuple, covering messages [from, to). */
export interface SentRange {
  epoch: number
  seq: number
  from: number
  to: number
}

/** What the head entry says. */
export interface OutboxHead {
  /** Every message below `low` is settled (stored on the stream, or refused and reported). */
  low: number
  /** The index the next accepted message takes. */
  end: number
  /** Settled messages in (low, end), as [from, to) ranges in order. */
  settled: Array<[number, number]>
  /** Sent batches that may be stored, in (epoch, seq) order. */
  sent: SentRange[]
  /** Segments from here up to the first live one may be left over from a cleanup a crash cut short. */
  dropFrom: number
  /** The producer's epoch and next seq: a restored instance goes on from there, past every seq already used. */
  epoch: number
  nextSeq: number
}

/** The key of a producer's head entry; the entry names its stream and id again, so a foreign entry is caught. */
export function outboxKey(url: string, producerId: string): string {
  return `producer:${producerId}@${url}`
}

export function segmentKey(url: string, producerId: string, segment: number): string {
  return `${outboxKey(url, producerId)}#${segment}`
}

/** The first segment still holding a message owed to the stream (everything before it may be deleted). */
export function firstLiveSegment(head: Pick<OutboxHead, "low" | "end">): number {
  return head.low < head.end ? Math.floor(head.low / SEGMENT_SIZE) : Math.ceil(head.end / SEGMENT_SIZE)
}

export function encodeHead(url: string, producerId: string, json: boolean, head: OutboxHead): string {
  return JSON.stringify({
    format: HEAD_FORMAT,
    url,
    producerId,
    json,
    low: head.low,
    end: head.end,
    settled: head.settled,
    sent: head.sent.map((range) => [range.epoch, range.seq, range.from, range.to]),
    dropFrom: head.dropFrom,
    epoch: head.epoch,
    nextSeq: head.nextSeq,
  })
}

/** Messages of segment `segment`, encoded (JSON text, or base64 on byte streams); `null` marks one no longer needed. */
export function encodeSegment(segment: number, messages: Array<string | null>): string {
  return JSON.stringify({ format: SEGMENT_FORMAT, segment, messages })
}

/** The INVALID_ARGUMENT for an outbox entry that cannot be trusted: it is left in place, never dropped. */
export function corruptOutbox(url: string, producerId: string, why: string): Error {
  return invalidArgument(url, `the outbox entry of producer ${producerId} is corrupt or foreign: ${why}`, "append")
}

/** Reads a head entry back; anything corrupt, or written for another stream, producer or content type, is INVALID_ARGUMENT. */
export function decodeHead(url: string, producerId: string, json: boolean, text: unknown): OutboxHead {
  const corrupt = (why: string): Error => corruptOutbox(url, producerId, why)
  const entry = parseRecord(text, corrupt)
  if (entry.format !== HEAD_FORMAT) throw corrupt(`not a ${HEAD_FORMAT} entry`)
  if (entry.url !== url) throw corrupt(`written for stream ${describeValue(entry.url)}`)
  if (entry.producerId !== producerId) throw corrupt(`written for producer ${describeValue(entry.producerId)}`)
  if (entry.json !== json) throw corrupt(`written for a ${entry.json ? "JSON" : "byte"} stream`)
  const { low, end, dropFrom, epoch, nextSeq } = entry
  if (!isIndex(low) || !isIndex(end) || !isIndex(dropFrom) || low > end) throw corrupt("low, end or dropFrom out of range")
  if (!isIndex(epoch) || !isIndex(nextSeq)) throw corrupt("epoch or nextSeq is not a whole number")
  if (!Array.isArray(entry.settled) || !Array.isArray(entry.sent)) throw corrupt("missing settled or sent")
  // Ranges in order, each inside (low, end), none overlapping another of either list.
  const taken: Array<[number, number]> = []
  const range = (from: unknown, to: unknown): [number, number] => {
    if (!isIndex(from) || !isIndex(to) || from >= to || from < low || to > end) throw corrupt("a range outside the outbox")
    taken.push([from, to])
    return [from, to]
  }
  const settled = entry.settled.map((item: unknown) => {
    if (!Array.isArray(item) || item.length !== 2) throw corrupt("a settled range that is not [from, to]")
    return range(item[0], item[1])
  })
  const sent = entry.sent.map((item: unknown) => {
    if (!Array.isArray(item) || item.length !== 4 || !isIndex(item[0]) || !isIndex(item[1])) {
      throw corrupt("a sent batch that is not [epoch, seq, from, to]")
    }
    const [from, to] = range(item[2], item[3])
    return { epoch: item[0], seq: item[1], from, to }
  })
  for (let i = 1; i < sent.length; i++) {
    const [before, after] = [sent[i - 1]!, sent[i]!]
    const tupleOrder = before.epoch < after.epoch || (before.epoch === after.epoch && before.seq < after.seq)
    if (!tupleOrder || before.to > after.from) throw corrupt("sent batches out of order")
  }
  taken.sort((a, b) => a[0] - b[0])
  for (let i = 1; i < taken.length; i++) if (taken[i - 1]![1] > taken[i]![0]) throw corrupt("overlapping ranges")
  const last = sent.at(-1)
  if (last && (last.epoch > epoch || (last.epoch === epoch && last.seq >= nextSeq))) throw corrupt("a sent batch beyond the producer's next seq")
  return { low, end, settled, sent, dropFrom, epoch, nextSeq }
}

/** Reads a segment back: its messages, `null` where one is no longer needed. */
export function decodeSegment(url: string, producerId: string, segment: number, text: unknown): Array<string | null> {
  const corrupt = (why: string): Error => corruptOutbox(url, producerId, `segment ${segment}: ${why}`)
  if (text === undefined || text === null) throw corrupt("missing")
  const entry = parseRecord(text, corrupt)
  if (entry.format !== SEGMENT_FORMAT || entry.segment !== segment) throw corrupt(`not segment ${segment} of a ${HEAD_FORMAT}`)
  const messages = entry.messages
  if (!Array.isArray(messages) || messages.length > SEGMENT_SIZE) throw corrupt("messages is not a list of at most one segment")
  for (const message of messages) {
    if (message !== null && (typeof message !== "string" || message === "")) throw corrupt("a message that is not a non-empty string")
  }
  return messages as Array<string | null>
}

function parseRecord(text: unknown, corrupt: (why: string) => Error): Record<string, unknown> {
  if (typeof text !== "string") throw corrupt(`expected a string, got ${describeValue(text)}`)
  let entry: unknown
  try {
    entry = JSON.parse(text)
  } catch {
    throw corrupt("not JSON")
  }
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) throw corrupt("not a JSON object")
  return entry as Record<string, unknown>
}

function isIndex(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0
}

/** One message as a segment keeps it: JSON text as is, bytes in base64. */
export function encodeMessage(payload: Payload): string {
  return typeof payload === "string" ? payload : encodeBase64(payload)
}

/** A message of a segment back as a payload, checked: a JSON stream's must be JSON text, a byte stream's base64. */
export function decodeMessage(url: string, producerId: string, json: boolean, text: string | null | undefined): Payload {
  const corrupt = (why: string): Error => corruptOutbox(url, producerId, why)
  if (typeof text !== "string" || text === "") throw corrupt("a message owed to the stream is missing")
  if (!json) {
    const bytes = decodeBase64(text)
    if (!bytes || bytes.length === 0) throw corrupt("a message that is not base64")
    return bytes
  }
  try {
    JSON.parse(text)
  } catch {
    throw corrupt("a message that is not JSON text")
  }
  return text
}
