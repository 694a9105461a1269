import { DEFAULTS } from "./defaults"
import { invalidArgument } from "./errors"
import type { ClientContext, FetchLike, OnError } from "./http"
import { redactUrl } from "./redact"
import { normalizeStreamUrl, type HeadersRecord, type ParamsRecord } from "./request-values"
import { resolveRetry, type RetryOptions } from "./retry-policy"
import type { LiveSharing } from "./live-sharing"
import type { LiveMode, ReadOptions } from "./read-options"
import {
  appStateActivity,
  defaultOnline,
  defaultVisibility,
  documentVisibility,
  isActivitySource,
  isAppStateLike,
  isNetInfoLike,
  isVisibilityDocument,
  netInfoActivity,
  type ActivitySource,
  type LifecycleOptions,
  type ResolvedLifecycle,
} from "./lifecycle"
import {
  describeValue,
  duration,
  optionalBoolean,
  optionalFunction,
  optionalSignal,
  optionalString,
  optionsObject,
  valueRecord,
  wholeNumber,
} from "./validate"

/** Deadlines of one handle's requests; see `DEFAULTS.timeouts` for what each bounds and why. */
export interface TimeoutOptions {
  /** Request sent → response headers, for every request but a long-poll. Default 30 000 ms. */
  headersMs?: number
  /** Longest gap between bytes of a response body. Default 30 000 ms. */
  bodyIdleMs?: number
  /** One long-poll request; on expiry it is reissued. Default 100 000 ms. */
  longPollMs?: number
  /** An SSE connection silent this long is reopened from the last control offset. Default 60 000 ms. */
  sseIdleMs?: number
}

export type ResolvedTimeouts = Readonly<Required<TimeoutOptions>>

/** Options of a `DurableStream` handle. */
export interface DurableStreamOptions {
  /** The stream's URL. Any layout: the protocol fixes none. */
  url: string | URL
  /** Content type; learned from create/connect/HEAD when omitted. */
  contentType?: string
  /** Sent on every request; function values run per request. */
  headers?: HeadersRecord
  /** Extra query parameters on every request (kept in sorted order). */
  params?: ParamsRecord
  /** Injected fetch (tests, proxies, custom agents). Default: global fetch. */
  fetch?: FetchLike | typeof fetch
  retry?: RetryOptions
  /** Deadlines for every request of this handle. */
  timeouts?: TimeoutOptions
  /** Last word on a failed operation: return new headers/params to retry. */
  onError?: OnError
  /**
   * Retry plain appends after failures where the data may already have been
   * stored (5xx, network errors, timeouts). Off by default because a retry
   * can store the data twice; the IdempotentProducer retries safely instead.
   */
  retryAppends?: boolean
  /**
   * How this handle's live reads follow the page and the device (visibility,
   * app state, network, wake from sleep). A read's own `lifecycle` replaces
   * these key by key.
   */
  lifecycle?: LifecycleOptions
}

/** A handle's settings after validation and defaults: what every request and every layer above shares. */
export interface ResolvedStreamOptions extends ClientContext {
  contentType: string | undefined
  retryAppends: boolean
  /** As given (checked); defaults are filled per read, where the runtime's globals are looked up. */
  lifecycle: LifecycleOptions | undefined
}

/**
 * The one place a handle's options are checked and defaulted. Everything a
 * caller can get wrong fails here, as INVALID_ARGUMENT naming the URL and
 * the option, before any request.
 */
export function resolveStreamOptions(options: DurableStreamOptions): ResolvedStreamOptions {
  if (typeof options !== "object" || options === null) {
    throw invalidArgument("(no url)", `options must be an object with a url (got ${describeValue(options)})`)
  }
  const url = parseUrl(options.url)
  const customFetch = optionalFunction<FetchLike>(url, options.fetch, "fetch")
  return {
    url,
    fetch: customFetch ?? globalFetch,
    headers: valueRecord<HeadersRecord>(url, options.headers, "headers"),
    params: valueRecord<ParamsRecord>(url, options.params, "params"),
    retry: resolveRetry(url, options.retry),
    timeouts: resolveTimeouts(url, options.timeouts),
    onError: optionalFunction<OnError>(url, options.onError, "onError"),
    contentType: optionalString(url, options.contentType, "contentType"),
    retryAppends: optionalBoolean(url, options.retryAppends, "retryAppends") ?? false,
    lifecycle: checkLifecycle(url, options.lifecycle),
  }
}

// Looked up per call so test doubles and polyfills installed later apply. One
// function for every handle: an app may hold a handle per reader.
const globalFetch: FetchLike = (input, init) => globalThis.fetch(input, init)

export function resolveTimeouts(url: string, options: TimeoutOptions | undefined): ResolvedTimeouts {
  // The defaults are frozen: every handle without its own can share them.
  if (options === undefined) return DEFAULTS.timeouts
  const given = optionsObject(url, options, "timeouts")
  const base = DEFAULTS.timeouts
  return Object.freeze({
    headersMs: duration(url, given.headersMs ?? base.headersMs, "timeouts.headersMs"),
    bodyIdleMs: duration(url, given.bodyIdleMs ?? base.bodyIdleMs, "timeouts.bodyIdleMs"),
    longPollMs: duration(url, given.longPollMs ?? base.longPollMs, "timeouts.longPollMs"),
    sseIdleMs: duration(url, given.sseIdleMs ?? base.sseIdleMs, "timeouts.sseIdleMs"),
  })
}

function parseUrl(url: unknown): string {
  if (typeof url !== "string" && !(typeof URL !== "undefined" && url instanceof URL)) {
    throw invalidArgument(redactUrl(String(url)), `url must be an absolute http(s) URL string (got ${describeValue(url)})`)
  }
  const text = String(url)
  const normalized = normalizeStreamUrl(text)
  if (normalized === undefined) {
    const hint = /^[a-z]+:\/\/[^/?#]*@/i.test(text.trim()) ? " without credentials (send them in headers)" : ""
    throw invalidArgument(redactUrl(text), `url must be an absolute http(s) URL${hint}`)
  }
  return normalized
}

/** A read session's options after validation and defaults. */
export interface ResolvedReadOptions {
  offset: string
  live: LiveMode
  signal: AbortSignal | undefined
  headers: HeadersRecord | undefined
  params: ParamsRecord | undefined
  onError: OnError | undefined
  longPollTimeoutMs: number
  followRedirects: boolean
  maxSseBufferBytes: number
  shareAcrossTabs: LiveSharing | undefined
  lifecycle: ResolvedLifecycle
}

const LIVE_MODES: readonly unknown[] = [false, "long-poll", "sse", "auto"]

/** The one place a read's options are checked and defaulted (against the handle's settings). */
export function resolveReadOptions(
  context: ClientContext & { lifecycle?: LifecycleOptions | undefined },
  given: ReadOptions | undefined
): ResolvedReadOptions {
  const url = context.url
  const options = optionsObject(url, given, "read options", "read")
  return {
    ...readStart(url, options, "-1", false, "read"),
    signal: optionalSignal(url, options.signal, "signal", "read"),
    headers: valueRecord<HeadersRecord>(url, options.headers, "headers", "read"),
    params: valueRecord<ParamsRecord>(url, options.params, "params", "read"),
    onError: optionalFunction<OnError>(url, options.onError, "onError", "read"),
    longPollTimeoutMs:
      options.longPollTimeoutMs === undefined
        ? context.timeouts.longPollMs
        : duration(url, options.longPollTimeoutMs, "longPollTimeoutMs", { operation: "read" }),
    followRedirects: optionalBoolean(url, options.followRedirects, "followRedirects", "read") ?? false,
    maxSseBufferBytes:
      options.maxSseBufferBytes === undefined
        ? DEFAULTS.maxSseBufferBytes
        : wholeNumber(url, options.maxSseBufferBytes, "maxSseBufferBytes", { min: 1, operation: "read" }),
    lifecycle: resolveLifecycle({ ...context.lifecycle, ...checkLifecycle(url, options.lifecycle, "read") }),
  }
}

/**
 * Where a read starts, how it follows the tail and whether it shares the
 * live connection across tabs: checked the one way for a read session and
 * for the layers' reads above it (a materialized view).
 */
export function readStart(
  url: string,
  given: { offset?: unknown; live?: unknown; shareAcrossTabs?: unknown },
  defaultOffset: string,
  defaultLive: LiveMode,
  operation?: "read"
): { offset: string; live: LiveMode; shareAcrossTabs: LiveSharing | undefined } {
  const offset = given.offset ?? defaultOffset
  if (typeof offset !== "string" || offset === "") {
    throw invalidArgument(url, `offset must be a non-empty string: "-1", "now" or a saved offset (got ${describeValue(offset)})`, operation)
  }
  const live = given.live ?? defaultLive
  if (!LIVE_MODES.includes(live)) {
    throw invalidArgument(url, `live must be false, "long-poll", "sse" or "auto" (got ${describeValue(live)})`, operation)
  }
  const sharing = given.shareAcrossTabs as Partial<LiveSharing> | null | undefined
  if (sharing !== undefined && (typeof sharing !== "object" || sharing === null || typeof sharing.run !== "function")) {
    throw invalidArgument(url, `shareAcrossTabs must be what tabSharing() returns (got ${describeValue(sharing)})`, operation)
  }
  return { offset, live: live as LiveMode, shareAcrossTabs: sharing as LiveSharing | undefined }
}

/** Checks the shape of every lifecycle option a caller gave; fills nothing in. */
function checkLifecycle(url: string, value: LifecycleOptions | undefined, operation?: "read"): LifecycleOptions | undefined {
  if (value === undefined) return undefined
  const given = optionsObject(url, value, "lifecycle", operation)
  const source = (
    field: "visibility" | "appState" | "online",
    fits: (candidate: unknown) => boolean,
    expected: string
  ): void => {
    const candidate = given[field]
    if (candidate === undefined || candidate === false || isActivitySource(candidate) || fits(candidate)) return
    throw invalidArgument(url, `lifecycle.${field} must be ${expected}, an ActivitySource ({ isActive, subscribe }) or false (got ${describeValue(candidate)})`, operation)
  }
  source("visibility", isVisibilityDocument, "a document (visibilityState, addEventListener, removeEventListener)")
  source("appState", isAppStateLike, "React Native's AppState (currentState, addEventListener)")
  source("online", isNetInfoLike, "a NetInfo-like source (addEventListener)")
  optionalBoolean(url, given.pauseWhenHidden, "lifecycle.pauseWhenHidden", operation)
  if (given.wakeCheckMs !== undefined && given.wakeCheckMs !== false) {
    duration(url, given.wakeCheckMs, "lifecycle.wakeCheckMs", { operation })
  }
  if (given.wakeGapMs !== undefined) duration(url, given.wakeGapMs, "lifecycle.wakeGapMs", { operation })
  return given
}

/** Turns checked lifecycle options into sources, with the runtime's defaults where none was given. */
function resolveLifecycle(given: LifecycleOptions): ResolvedLifecycle {
  const base = DEFAULTS.lifecycle
  const pick = <T>(
    value: T | ActivitySource | false | undefined,
    adapt: (value: T) => ActivitySource,
    fallback: () => ActivitySource | undefined
  ): ActivitySource | undefined => {
    if (value === false) return undefined
    if (value === undefined) return fallback()
    return isActivitySource(value) ? value : adapt(value)
  }
  return {
    visibility: pick(given.visibility, documentVisibility, defaultVisibility),
    pauseWhenHidden: given.pauseWhenHidden ?? base.pauseWhenHidden,
    appState: pick(given.appState, appStateActivity, () => undefined),
    online: pick(given.online, netInfoActivity, defaultOnline),
    wakeCheckMs: given.wakeCheckMs === false ? undefined : (given.wakeCheckMs ?? base.wakeCheckMs),
    wakeGapMs: given.wakeGapMs ?? base.wakeGapMs,
  }
}
