import { invalidArgument } from "@durable-client/json/internal"
import type { UIMessageChunk } from "ai"
import { describe } from "./validate"

const noop = (): void => undefined

export interface ChunkSource {
  next(): Promise<IteratorResult<UIMessageChunk>>
  cancel(reason?: unknown): Promise<void>
}

/** Reads a ReadableStream with a reader (Safari has no async iteration on streams) or any async iterable. */
export function openChunkSource(where: string, stream: unknown): ChunkSource {
  if (typeof stream === "object" && stream !== null && typeof (stream as ReadableStream).getReader === "function") {
    const reader = (stream as ReadableStream<UIMessageChunk>).getReader()
    return {
      next: async () => {
        const result = await reader.read()
        return result.done ? { done: true, value: undefined } : { done: false, value: result.value }
      },
      cancel: (reason) => reader.cancel(reason),
    }
  }
  if (typeof stream === "object" && stream !== null && Symbol.asyncIterator in stream) {
    const iterator = (stream as AsyncIterable<UIMessageChunk>)[Symbol.asyncIterator]()
    return {
      next: () => iterator.next(),
      // Not awaited: an async generator suspended in an await answers return() only after it resumes.
      cancel: async () => {
        void Promise.resolve(iterator.return?.()).catch(noop)
      },
    }
  }
  throw invalidArgument(where, `stream must be a ReadableStream or an async iterable of UI message chunks (got ${describe(stream)})`)
}
