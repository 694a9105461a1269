import { isDurableStreamError, type HeadersRecord, type JsonStream, type LiveMode } from "@durable-client/json"
import type { UIMessageChunk } from "ai"
import { toUIMessageChunk } from "./chunks"
import type { ChatDelivery } from "./resume-plan"

export interface ChunkReaderOptions {
  stream: JsonStream<unknown>
  offset: string
  live: LiveMode
  signal: AbortSignal | undefined
  /** Headers of this call only, on top of the handle's. */
  headers: HeadersRecord | undefined
  /** A batch whose chunks have all been handed to the reader. */
  onDelivered(batch: { offset: string; closed: boolean }): void
  /** How the read ended (once). */
  onEnd(state: Exclude<ChatDelivery["state"], "reading">): void
}

/**
 * Reads a generation's durable stream as a `ReadableStream` of UI message
 * chunks, pulled one at a time (high-water mark 0): the next request for
 * data goes out only when the consumer asks for more, and a batch counts as
 * delivered only once its last chunk was taken. `useChat` pipes the stream
 * through its message parser, which asks for the next chunk only after the
 * previous one is applied, so a delivered batch is one the page shows.
 *
 * The first batch is read before the stream is returned, so a missing stream
 * or a refused token fails the call itself (and `reconnectToStream` can tell
 * "nothing to resume" from an error).
 *
 * Errors: a read that loses the network for longer than the retry budget
 * (NETWORK or TIMEOUT) ends the stream with a `TypeError` ("network error …",
 * the DurableStreamError as `cause`), the shape `useChat` treats as a
 * disconnect: it keeps the partial message and resumes when the page is
 * visible again. Any other failure is the DurableStreamError itself; an
 * abort ends it with the signal's reason.
 */
export async function openChunkReader(options: ChunkReaderOptions): Promise<ReadableStream<UIMessageChunk>> {
  const { stream, signal } = options
  const session = stream.read({ offset: options.offset, live: options.live, signal, headers: options.headers })
  const batches = session[Symbol.asyncIterator]()
  const queue: UIMessageChunk[] = []
  let position = options.offset
  let undelivered: { offset: string; closed: boolean } | undefined
  let ended = false

  const end = (state: Exclude<ChatDelivery["state"], "reading">): void => {
    if (ended) return
    ended = true
    options.onEnd(state)
  }

  const translate = (error: unknown): unknown => {
    if (signal?.aborted) {
      end("stopped")
      return signal.reason
    }
    if (isDurableStreamError(error) && (error.code === "NETWORK" || error.code === "TIMEOUT")) {
      end("disconnected")
      return new TypeError(`network error while reading ${stream.url}: ${error.message}`, { cause: error })
    }
    end("failed")
    return error
  }

  /** Refills the queue; false at the end of the stream (its close). */
  const fill = async (): Promise<boolean> => {
    while (queue.length === 0) {
      // The queue is empty at a pull: every chunk of the last batch was taken.
      if (undelivered) options.onDelivered(undelivered)
      undelivered = undefined
      const result = await batches.next()
      if (result.done) return false
      const batch = result.value
      for (const item of batch.items) queue.push(toUIMessageChunk(item, stream.url, position))
      position = batch.offset
      if (queue.length === 0) options.onDelivered({ offset: batch.offset, closed: batch.closed })
      else undelivered = { offset: batch.offset, closed: batch.closed }
    }
    return true
  }

  try {
    await fill()
  } catch (error) {
    await session.cancel()
    throw translate(error)
  }

  return new ReadableStream<UIMessageChunk>(
    {
      async pull(controller) {
        try {
          if (queue.length === 0 && !(await fill())) {
            end("closed")
            controller.close()
            return
          }
          controller.enqueue(queue.shift()!)
        } catch (error) {
          await session.cancel()
          controller.error(translate(error))
        }
      },
      async cancel() {
        end("stopped")
        await session.cancel()
      },
    },
    { highWaterMark: 0 }
  )
}
