import { stream as openStream, type LiveMode } from "@durable-streams/client"
import { chunkOf } from "../adapter-kit/chunk-data.ts"
import type { ReadChunk, ReadCommand, Result } from "../protocol.ts"
import type { ReferenceState } from "./state.ts"

const DEFAULT_TIMEOUT_MS = 10_000

// This client settles `closed` before its subscribers have seen the last
// chunk (they may run well after), so the adapter gives queued deliveries
// this long to land before it reports. See README, cross-check.
const SETTLE_MS = 150

interface Progress {
  chunks: ReadChunk[]
  offset: string | undefined
  upToDate: boolean
  streamClosed: boolean
}

/** `true` (or the older `"auto"`) is this client's `live: true`. */
function liveModeOf(live: ReadCommand["live"]): LiveMode {
  if (live === true || live === "auto") return true
  if (live === "long-poll" || live === "sse") return live
  return false
}

/**
 * Catch-up reads use the client's accumulating helpers (`json()`, `body()`);
 * live reads subscribe and stop at end of stream, `maxChunks`, up-to-date
 * (`waitForUpToDate`) or `timeoutMs`, which is not an error for a live read.
 */
export async function read(state: ReferenceState, cmd: ReadCommand): Promise<Result> {
  const live = liveModeOf(cmd.live)
  const timeoutMs = cmd.timeoutMs ?? DEFAULT_TIMEOUT_MS
  await state.learnContentType(cmd.path)
  const json = state.isJson(cmd.path)
  const controller = new AbortController()
  let heldAtDeadline = false
  const timer = setTimeout(() => {
    heldAtDeadline = state.recorder.heldLongPoll
    controller.abort()
  }, timeoutMs)
  const progress: Progress = { chunks: [], offset: cmd.offset, upToDate: false, streamClosed: false }
  try {
    const response = await openStream({
      url: state.url(cmd.path),
      offset: cmd.offset,
      live,
      headers: state.headers(cmd.headers),
      params: state.params(),
      fetch: state.fetch,
      signal: controller.signal,
      warnOnHttp: false,
    })
    progress.offset = response.offset
    progress.upToDate = response.upToDate
    progress.streamClosed = response.streamClosed
    if (live === false) {
      if (json) {
        const items = await response.json()
        if (items.length > 0) progress.chunks.push({ data: JSON.stringify(items), offset: response.offset })
      } else {
        const bytes = await response.body()
        if (bytes.length > 0) progress.chunks.push(chunkOf(bytes, response.offset))
      }
      progress.offset = response.offset
      progress.upToDate = response.upToDate
      progress.streamClosed = response.streamClosed
    } else {
      await follow(response, cmd, json, controller, progress)
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error
  } finally {
    clearTimeout(timer)
    controller.abort()
  }
  // Stopped while the server held a long-poll: nothing was left to send.
  if (heldAtDeadline) progress.upToDate = true
  return {
    type: "read",
    success: true,
    status: 200,
    chunks: progress.chunks,
    offset: progress.offset,
    upToDate: progress.upToDate,
    streamClosed: progress.streamClosed,
    ...state.recorder.sent(),
  }
}

type StreamResponse = Awaited<ReturnType<typeof openStream>>

function follow(
  response: StreamResponse,
  cmd: ReadCommand,
  json: boolean,
  controller: AbortController,
  progress: Progress
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stop = (): void => {
      controller.abort()
      resolve()
    }
    controller.signal.addEventListener("abort", () => resolve(), { once: true })
    const take = (data: ReadChunk | undefined, meta: { offset: string; upToDate: boolean; streamClosed: boolean }): void => {
      if (controller.signal.aborted) return
      if (data) progress.chunks.push(data)
      progress.offset = meta.offset
      progress.upToDate = meta.upToDate
      progress.streamClosed = meta.streamClosed
      if (meta.streamClosed) stop()
      else if (cmd.waitForUpToDate && meta.upToDate) stop()
      else if (cmd.maxChunks !== undefined && progress.chunks.length >= cmd.maxChunks) stop()
    }
    if (json) {
      response.subscribeJson((batch) => {
        take(batch.items.length > 0 ? { data: JSON.stringify(batch.items), offset: batch.offset } : undefined, batch)
      })
    } else {
      response.subscribeBytes((chunk) => {
        take(chunk.data.length === 0 ? undefined : chunkOf(chunk.data, chunk.offset), chunk)
      })
    }
    response.closed.then(
      () =>
        setTimeout(() => {
          // The session's own final state, for an end that came without a chunk.
          if (response.streamClosed) {
            progress.streamClosed = true
            progress.upToDate = true
            progress.offset = response.offset
          }
          resolve()
        }, SETTLE_MS),
      (error: unknown) => setTimeout(() => (controller.signal.aborted ? resolve() : reject(error)), SETTLE_MS)
    )
  })
}
