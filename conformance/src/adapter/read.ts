import { DurableStreamError, type LiveMode } from "@durable-client/json"
import { chunkOf } from "../adapter-kit/chunk-data.ts"
import type { ReadChunk, ReadCommand, Result } from "../protocol.ts"
import type { AdapterState } from "./state.ts"

const DEFAULT_TIMEOUT_MS = 10_000

/** `true` is the public protocol's "auto"; the older spelling `"auto"` is accepted too. */
export function liveModeOf(live: ReadCommand["live"]): LiveMode {
  if (live === true || live === "auto") return "auto"
  if (live === "long-poll" || live === "sse") return live
  return false
}

/**
 * Reads with the SDK's read session and reports every chunk that carried
 * data. A live read ends at end of stream, at `maxChunks`, when up to date
 * (`waitForUpToDate`), or when `timeoutMs` runs out, which is not an error
 * for a live read. A catch-up read ends by itself once up to date.
 */
export async function read(state: AdapterState, cmd: ReadCommand): Promise<Result> {
  const live = liveModeOf(cmd.live)
  const timeoutMs = cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const base = state.stream(cmd.path, cmd.headers)
  await state.contentTypeOf(base, cmd.path)
  const json = state.isJson(cmd.path)
  const options = { offset: cmd.offset, live }
  const session = json ? state.jsonStream(cmd.path, cmd.headers).read(options) : base.read(options)

  const chunks: ReadChunk[] = []
  let offset = cmd.offset
  let upToDate = false
  let streamClosed = false
  let cursor: string | undefined
  let timedOut = false
  let atTailWhenStopped = false
  const timer = setTimeout(() => {
    timedOut = true
    atTailWhenStopped = state.recorder.heldLongPoll
    void session.cancel()
  }, timeoutMs)
  try {
    for await (const chunk of session) {
      if ("items" in chunk) {
        if (chunk.items.length > 0) chunks.push({ data: JSON.stringify(chunk.items), offset: chunk.offset })
      } else if (chunk.data.length > 0) {
        chunks.push(chunkOf(chunk.data, chunk.offset))
      }
      offset = chunk.offset
      upToDate = chunk.upToDate
      streamClosed = chunk.closed
      if ("cursor" in chunk && chunk.cursor !== undefined) cursor = chunk.cursor
      if (chunk.closed) break
      if (cmd.waitForUpToDate && chunk.upToDate) break
      if (cmd.maxChunks !== undefined && chunks.length >= cmd.maxChunks) break
    }
  } finally {
    clearTimeout(timer)
    await session.cancel()
  }
  if (timedOut && live === false) {
    throw new DurableStreamError("TIMEOUT", `catch-up read of ${base.url} did not finish in ${timeoutMs} ms`, {
      url: base.url,
      operation: "read",
    })
  }
  // Time ran out while the server was holding a long-poll: it had nothing to
  // send from this offset, so the reader was at the tail (a client deadline
  // equal to the server's wait otherwise loses that answer by a hair).
  if (timedOut && atTailWhenStopped) upToDate = true
  state.learn(cmd.path, base)
  return {
    type: "read",
    success: true,
    status: 200,
    chunks,
    offset: offset ?? session.offset,
    upToDate,
    streamClosed,
    ...(cursor === undefined ? {} : { cursor }),
    ...state.recorder.sent(),
  }
}
