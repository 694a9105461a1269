import { DurableStreamError, type LiveMode } from "@durable-client/json"
import type { ReadChunk, ReadCommand, Result } from "../protocol.ts"
import type { AdapterState } from "./state.ts"

const DEFAULT_TIMEOUT_MS = 10_000

interface Progress {
  chunks: ReadChunk[]
  offset: string | undefined
  upToDate: boolean
  streamClosed: boolean
  cursor: string | undefined
}

/**
 * Reads with the SDK's read session and reports every chunk that carried
 * data. A live read ends at end of stream, at `maxChunks`, when up to date
 * (`waitForUpToDate`), or when `timeoutMs` runs out, which is not an error
 * for a live read. A catch-up read ends by itself once up to date.
 */
export async function read(state: AdapterState, cmd: ReadCommand): Promise<Result> {
  const live: LiveMode = cmd.live === true || cmd.live === "auto" ? "auto" : (cmd.live ?? false)
  const timeoutMs = cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const base = state.stream(cmd.path, cmd.headers)
  const contentType = await state.contentTypeOf(base, cmd.path)
  const json = state.isJson(cmd.path)
  // Only decides how chunk bytes are written into the result line.
  const text = (contentType ?? "").trim().toLowerCase().startsWith("text/")
  const options = { offset: cmd.offset, live }
  const session = json
    ? state.jsonStream(cmd.path, cmd.headers).read(options)
    : base.read(options)

  const progress: Progress = {
    chunks: [],
    offset: cmd.offset,
    upToDate: false,
    streamClosed: false,
    cursor: undefined,
  }
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    void session.cancel()
  }, timeoutMs)
  try {
    for await (const chunk of session) {
      let data: ReadChunk | undefined
      if ("items" in chunk) {
        if (chunk.items.length > 0) data = { data: JSON.stringify(chunk.items), offset: chunk.offset }
      } else if (chunk.data.length > 0) {
        data = text
          ? { data: new TextDecoder().decode(chunk.data), offset: chunk.offset }
          : { data: Buffer.from(chunk.data).toString("base64"), binary: true, offset: chunk.offset }
      }
      if (data) progress.chunks.push(data)
      progress.offset = chunk.offset
      progress.upToDate = chunk.upToDate
      progress.streamClosed = chunk.closed
      if ("cursor" in chunk && chunk.cursor !== undefined) progress.cursor = chunk.cursor
      if (chunk.closed) break
      if (cmd.waitForUpToDate && chunk.upToDate) break
      if (cmd.maxChunks !== undefined && progress.chunks.length >= cmd.maxChunks) break
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
  state.rememberContentType(cmd.path, contentType)
  return {
    type: "read",
    success: true,
    status: state.recorder.lastStatus,
    chunks: progress.chunks,
    offset: progress.offset ?? session.offset,
    upToDate: progress.upToDate,
    streamClosed: progress.streamClosed,
    ...(progress.cursor === undefined ? {} : { cursor: progress.cursor }),
    ...state.recorder.sent(),
  }
}
