import type { OnError } from "./http"
import type { LifecycleOptions } from "./lifecycle"
import type { LiveSharing } from "./live-sharing"
import type { HeadersRecord, ParamsRecord } from "./request-values"

/**
 * `false`: catch up and stop. `"long-poll"` / `"sse"`: catch up and tail with
 * that transport. `"auto"`: catch up with plain (cacheable) GETs, then tail
 * by SSE, falling back to long-poll where SSE cannot work.
 */
export type LiveMode = false | "long-poll" | "sse" | "auto"

/** Options of `DurableStream.read`. */
export interface ReadOptions {
  /** Where to start: `"-1"` (default, the beginning), `"now"` (the tail) or a saved offset. */
  offset?: string
  live?: LiveMode
  signal?: AbortSignal
  /** Extra headers for this session; functions run on every request. */
  headers?: HeadersRecord
  params?: ParamsRecord
  /** Replaces the handle's `onError` for this session. */
  onError?: OnError
  /**
   * Client-side limit for one long-poll request, replacing the handle's
   * `timeouts.longPollMs` for this session. It must exceed the server's wait
   * (30 s on the reference server); on expiry the poll is simply reissued.
   */
  longPollTimeoutMs?: number
  /**
   * Follow HTTP redirects to where the stream moved. Off by default: a
   * redirect fails the read with REDIRECTED. When on, `redirectedUrl` says
   * where the session ended up reading.
   */
  followRedirects?: boolean
  /**
   * Most bytes an SSE connection may send between two control events before
   * the session fails with PROTOCOL_VIOLATION. Default 32 MiB.
   */
  maxSseBufferBytes?: number
  /**
   * Share one live connection among the readers of this stream: pass
   * `pageSharing()` (readers in this page or process) or `tabSharing()`
   * (every tab of the origin, and the readers within each) from
   * `@durable-client/bytes/tab-sharing`. Kept out of the main entry so apps
   * that don't use it don't ship it.
   */
  shareAcrossTabs?: LiveSharing
  /**
   * How this live read follows the page and the device: it pauses while the
   * page is hidden (browsers), the app is in the background (pass React
   * Native's `AppState`) or the network is down, and reconnects at once on
   * wake from sleep or when the network returns. Replaces the handle's
   * `lifecycle` key by key. Catch-up reads (`live: false`) are never paused.
   */
  lifecycle?: LifecycleOptions
}
