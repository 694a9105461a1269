import type { StreamChunk } from "./read-position"
import type { LiveMode } from "./read-options"

/**
 * Produces a session's chunks by coordinating with other readers (other
 * components of the page, other tabs): `pageSharing()` and `tabSharing()`
 * from `@durable-client/bytes/tab-sharing`. It gets private, unshared reads
 * of the same stream to do the work.
 */
export interface LiveSharing {
  run(context: SharedReadContext): AsyncGenerator<StreamChunk>
}

/** What a `LiveSharing` gets for one session: where it starts, and a way to read the stream unshared. */
export interface SharedReadContext {
  url: string
  /** Where this session starts. */
  offset: string
  live: LiveMode
  /** Aborts when the session is cancelled. */
  signal: AbortSignal
  /**
   * An unshared read of the same stream with the session's headers, params,
   * retries and lifecycle; `pauseWhenHidden` replaces the session's.
   */
  read(offset: string, live: LiveMode, options?: { pauseWhenHidden?: boolean }): AsyncIterable<StreamChunk>
}
