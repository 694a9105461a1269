import { DurableStreamError } from "@durable-client/json"
import type { UIMessageChunk } from "ai"

/**
 * How UI message chunks map onto a durable stream, both ways. Pure: no I/O.
 *
 * One generation is one `application/json` durable stream, and every message
 * in it is one `UIMessageChunk`, stored as the AI SDK produced it, in order.
 * Two things are added on the way in:
 *
 * - the first `start` chunk always carries a `messageId`. A replay then
 *   names the message it rebuilds, so `useChat` replaces a partial copy it
 *   already shows instead of adding a second one;
 * - the stream ends with exactly one terminal chunk, appended atomically with
 *   the close: the generation's `finish`, or an `error` / `abort` chunk when
 *   it failed or was stopped.
 */

/** What a stored generation ended with. */
export type GenerationOutcome = "finished" | "errored" | "aborted"

/** Per-generation state of `prepareChunk`; start with `{ messageId, started: false }`. */
export interface ChunkPreparation {
  /** The id given to a `start` chunk that has none. */
  readonly messageId: string
  /** Whether a `start` chunk has been seen (only the first gets an id). */
  readonly started: boolean
}

/**
 * The chunk as it is stored, and the preparation state after it. A `start`
 * chunk's own `messageId` wins (the AI SDK sets one when the response
 * continues an existing message); a later `start` is left alone.
 */
export function prepareChunk(
  chunk: UIMessageChunk,
  state: ChunkPreparation
): { chunk: UIMessageChunk; state: ChunkPreparation } {
  if (chunk.type !== "start" || state.started) return { chunk, state }
  const next = { ...state, started: true }
  if (typeof chunk.messageId === "string" && chunk.messageId !== "") return { chunk, state: next }
  return { chunk: { ...chunk, messageId: state.messageId }, state: next }
}

/** The chunk that ends a stored generation that failed: `errorText` is what the reader sees. */
export function errorChunk(errorText: string): UIMessageChunk {
  return { type: "error", errorText }
}

/** The chunk that ends a stored generation that was stopped on purpose. */
export function abortChunk(reason?: string): UIMessageChunk {
  return reason === undefined ? { type: "abort" } : { type: "abort", reason }
}

/**
 * Checks one stored message on the way out. The AI SDK validates chunk
 * contents itself while it builds the message; here we only make sure the
 * value is chunk-shaped, so a stream that is not a chat generation fails with
 * a typed error naming the stream and offset instead of deep inside `useChat`.
 */
export function toUIMessageChunk(value: unknown, url: string, offset: string): UIMessageChunk {
  if (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { type?: unknown }).type === "string"
  ) {
    return value as UIMessageChunk
  }
  throw new DurableStreamError(
    "PARSE_ERROR",
    `Stream ${url} holds a message that is not a UI message chunk (an object with a string "type") after offset ${offset}`,
    { url, operation: "read", offset }
  )
}

const encoder = new TextEncoder()

/** One chunk as an SSE event of the AI SDK's UI message stream protocol. */
export function encodeSseChunk(chunk: UIMessageChunk): Uint8Array {
  return encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`)
}

/** The event that ends a UI message stream. */
export function encodeSseDone(): Uint8Array {
  return encoder.encode("data: [DONE]\n\n")
}
