import {
  type FetchLike,
  type HeadersRecord,
  type LiveMode,
  type ParamsRecord,
  type RetryOptions,
  type TimeoutOptions,
} from "@durable-client/json"
import { invalidArgument, resolveRetry } from "@durable-client/json/internal"
import { defaultChatStreamStore, type ChatStreamStore } from "./chat-stream-store"
import { describe, isPlainObject, liveMode, optionalFunction, optionsObject, timeoutsObject, valueRecord } from "./validate"

/** Extra JSON fields of the chat request body, or a function (run per request) that returns them. */
export type ChatRequestBody =
  | Record<string, unknown>
  | (() => Record<string, unknown> | Promise<Record<string, unknown>>)

/** Options of `DurableChatTransport`. */
export interface DurableChatTransportOptions {
  /**
   * The app's chat route. It answers a POST with the generation's stream URL
   * in the `Durable-Stream-Url` header (what `startChatStream(...).response()`
   * sends). May be relative to the page.
   * @default "/api/chat"
   */
  api?: string | URL
  /**
   * Headers for every request: the chat POST and every durable-stream read
   * (each long-poll, each SSE reconnect). Function values run per request,
   * so a short-lived token stays fresh.
   */
  headers?: HeadersRecord
  /** Query parameters for every request, the chat POST and the reads alike. Functions run per request. */
  params?: ParamsRecord
  /**
   * Extra fields of the chat request body, next to what the AI SDK's default
   * transport sends (`id`, `messages`, `trigger`, `messageId`).
   */
  body?: ChatRequestBody
  /** Injected fetch for every request. Default: global fetch, looked up per call. */
  fetch?: FetchLike | typeof fetch
  /**
   * Which durable stream holds a chat's latest generation, for
   * `reconnectToStream`. Default: `localStorage` where there is one (shared
   * by the windows of one origin), else memory.
   */
  store?: ChatStreamStore
  /** How reads follow a generation once caught up. @default "auto" (SSE, falling back to long-poll) */
  live?: Exclude<LiveMode, false>
  /** Retry policy of the reads. Default: the byte layer's (8 retries, about 25 s). */
  retry?: RetryOptions
  /** Request deadlines of the reads (see `@durable-client/bytes`). */
  timeouts?: TimeoutOptions
}

export interface ResolvedTransportOptions {
  api: string
  headers: HeadersRecord | undefined
  params: ParamsRecord | undefined
  body: ChatRequestBody | undefined
  fetch: FetchLike
  store: ChatStreamStore
  live: Exclude<LiveMode, false>
  retry: RetryOptions | undefined
  timeouts: TimeoutOptions | undefined
}

/** Defaults of `DurableChatTransport`. */
export const DURABLE_CHAT_TRANSPORT_DEFAULTS = Object.freeze({
  api: "/api/chat",
  live: "auto" as const,
})

/**
 * The one place the transport's options are checked and defaulted. A bad
 * option throws INVALID_ARGUMENT naming it, before any request.
 */
export function resolveTransportOptions(options: DurableChatTransportOptions | undefined): ResolvedTransportOptions {
  const given = optionsObject<DurableChatTransportOptions>("(chat transport)", options, "DurableChatTransport options")
  const api = resolveApi(given.api)
  const customFetch = optionalFunction<FetchLike>(api, given.fetch, "fetch")
  const body = given.body
  if (body !== undefined && typeof body !== "function" && !isPlainObject(body)) {
    throw invalidArgument(api, `body must be an object or a function returning one (got ${describe(body)})`)
  }
  const store = given.store
  if (
    store !== undefined &&
    (typeof store !== "object" || store === null || typeof store.get !== "function" || typeof store.set !== "function")
  ) {
    throw invalidArgument(api, `store must be an object with get(chatId) and set(chatId, record) methods (got ${describe(store)})`)
  }
  if (given.retry !== undefined) resolveRetry(api, given.retry)
  return {
    api,
    headers: valueRecord<HeadersRecord>(api, given.headers, "headers"),
    params: valueRecord<ParamsRecord>(api, given.params, "params"),
    body,
    // Looked up per call, so test doubles and polyfills installed later apply.
    fetch: customFetch ?? ((input, init) => globalThis.fetch(input, init)),
    store: store ?? defaultChatStreamStore(),
    live: liveMode(api, given.live) ?? DURABLE_CHAT_TRANSPORT_DEFAULTS.live,
    retry: given.retry,
    timeouts: timeoutsObject(api, given.timeouts),
  }
}

function resolveApi(value: unknown): string {
  if (value === undefined) return DURABLE_CHAT_TRANSPORT_DEFAULTS.api
  if (typeof URL !== "undefined" && value instanceof URL) return value.href
  if (typeof value !== "string" || value.trim() === "") {
    throw invalidArgument("(chat transport)", `api must be the chat route's URL, absolute or relative (got ${describe(value)})`)
  }
  if (/[\s\0]/.test(value.trim()) || /^(?!https?:)[a-z][a-z0-9+.-]*:/i.test(value)) {
    throw invalidArgument(value, "api must be an http(s) URL or a path")
  }
  return value.trim()
}
