import { parseChatStreamRecord } from "./chat-stream-store"

/**
 * Where a (re)connection to a chat's generation starts reading. Pure.
 *
 * AI SDK 7's `Chat` rebuilds a resumed response in a fresh message state,
 * with one exception: after a network disconnect it keeps the interrupted
 * state and continues it. So there are two ways to resume:
 *
 * - **tail**: this page saw the generation up to `offset` and its read ended
 *   in a disconnect. `Chat` still holds what was shown; reading on from the
 *   saved offset sends only the chunks it has not shown.
 * - **replay**: anything else (a reload, a second window, a resume after an
 *   error, a stop or the end). `Chat` starts empty, so the generation is read
 *   from its first chunk; the stored `start` chunk names the message, and
 *   `Chat` rebuilds it exactly once, replacing a copy it already shows.
 */

/** What this page has read of a chat's latest generation. */
export interface ChatDelivery {
  streamUrl: string
  /** Offset right after the last chunk handed to the chat; `"-1"` before the first. */
  offset: string
  /** How the read is going or how it ended. */
  state: "reading" | "closed" | "disconnected" | "failed" | "stopped"
}

export interface ReadPlan {
  streamUrl: string
  offset: string
  /** True when reading from the generation's first chunk. */
  replay: boolean
}

/** The start of every generation's stream: each generation has a stream of its own. */
export const GENERATION_START = "-1"

/**
 * Plans `reconnectToStream`. `record` is what the store returned (checked
 * here), `delivery` what this page read; `null` means nothing to resume.
 */
export function planReconnect(record: unknown, delivery: ChatDelivery | undefined): ReadPlan | null {
  const streamUrl = parseChatStreamRecord(record)?.streamUrl ?? delivery?.streamUrl
  if (streamUrl === undefined) return null
  if (delivery?.streamUrl === streamUrl && delivery.state === "disconnected") {
    return { streamUrl, offset: delivery.offset, replay: false }
  }
  return { streamUrl, offset: GENERATION_START, replay: true }
}

/** The delivery after a batch's chunks have all been handed out. */
export function advanceDelivery(delivery: ChatDelivery, batch: { offset: string; closed: boolean }): ChatDelivery {
  return { ...delivery, offset: batch.offset, state: batch.closed ? "closed" : delivery.state }
}
