import {
  type CheckpointStorage,
  type DurableStreamOptions,
  type FetchLike,
  type HeadersRecord,
  type ParamsRecord,
  type RetryOptions,
  type TimeoutOptions,
} from "@durable-client/state"
import { invalidArgument } from "@durable-client/state/internal"
import type { Awareness } from "y-protocols/awareness"

/** How the provider reads live: as the bytes layer's `live` read option. */
export type ProviderLiveMode = "auto" | "sse" | "long-poll"

/** Options of the awareness (presence) stream. */
export interface AwarenessOptions {
  /** The Awareness to share. Default: a new one on the document (destroyed with the provider). */
  instance?: Awareness
  /** Stream of awareness updates. Default: the document's URL with `.awareness` appended to its path. */
  url?: string | URL
  /** TTL of the awareness stream: the server drops it after this long unused. @default 300 */
  ttlSeconds?: number
  /** Local changes (cursor moves, typing) are sent at most once per this many ms. @default 100 */
  throttleMs?: number
  /**
   * A peer not heard from for this long is removed; ours is resent every half of it.
   * At most 30 000 (y-protocols drops silent peers after 30 s on its own). @default 30000
   */
  timeoutMs?: number
}

/** Backoff between reconnection attempts. */
export interface ReconnectOptions {
  /** First wait after a lost connection. @default 250 */
  initialDelayMs?: number
  /** Longest wait between attempts. @default 5000 */
  maxDelayMs?: number
}

/** Options of `DurableYjsProvider`. */
export interface DurableYjsProviderOptions {
  /** The document's stream (created if missing unless `create: false`). */
  url: string | URL
  /** Sent with every request; function values run per request (fresh tokens). */
  headers?: HeadersRecord
  params?: ParamsRecord
  /** Injected fetch (tests, proxies, React Native polyfills). */
  fetch?: FetchLike | typeof fetch
  /** Retries of one request (see the bytes layer); reconnecting after they run out is `reconnect`. */
  retry?: RetryOptions
  timeouts?: TimeoutOptions
  /** Create the stream when it is missing (PUT). With false it must exist. @default true */
  create?: boolean
  /** Connect at once; with false, call `connect()` when ready. @default true */
  connect?: boolean
  /** @default "auto" */
  live?: ProviderLiveMode
  /** Where checkpoints live: `memoryStorage()`, `keyValueStorage(localStorage)`, any `CheckpointStorage`. */
  storage?: CheckpointStorage
  /** Checkpoint key. @default the stream URL */
  storageKey?: string
  /** The document checkpoint is written at most once per this many ms (the outbox at once). @default 1000 */
  checkpointIntervalMs?: number
  /** Local updates wait this long to share a request. @default 10 */
  lingerMs?: number
  /** Producer id of this writer. @default a random one per provider */
  producerId?: string
  /** Presence and cursors over a second, short-lived stream; `false` turns it off. */
  awareness?: AwarenessOptions | false
  reconnect?: ReconnectOptions
  /** Aborting it destroys the provider. */
  signal?: AbortSignal
}

export interface ResolvedAwarenessOptions {
  instance: Awareness | undefined
  url: string
  ttlSeconds: number
  throttleMs: number
  timeoutMs: number
}

export interface ResolvedProviderOptions {
  url: string
  stream: DurableStreamOptions
  create: boolean
  connect: boolean
  live: ProviderLiveMode
  storage: CheckpointStorage | undefined
  storageKey: string
  checkpointIntervalMs: number
  lingerMs: number
  producerId: string | undefined
  awareness: ResolvedAwarenessOptions | undefined
  reconnect: Required<ReconnectOptions>
  signal: AbortSignal | undefined
}

/** Defaults of `DurableYjsProvider`. */
export const PROVIDER_DEFAULTS = Object.freeze({
  create: true,
  connect: true,
  live: "auto" as ProviderLiveMode,
  checkpointIntervalMs: 1000,
  lingerMs: 10,
  awareness: Object.freeze({ ttlSeconds: 300, throttleMs: 100, timeoutMs: 30_000 }),
  reconnect: Object.freeze({ initialDelayMs: 250, maxDelayMs: 5000 }),
})

/** The most a caller can ask for `awareness.timeoutMs`: y-protocols' own outdated timeout. */
export const MAX_AWARENESS_TIMEOUT_MS = 30_000

const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Checks every option once, before any request, and fills the defaults.
 * A bad one is a DurableStreamError INVALID_ARGUMENT naming the option.
 * `url` must already be the validated stream URL (the bytes layer checks it).
 */
export function resolveProviderOptions(url: string, options: DurableYjsProviderOptions): ResolvedProviderOptions {
  const bad = (what: string): never => {
    throw invalidArgument(url, what)
  }
  const storage = options.storage
  if (storage !== undefined) {
    const valid =
      typeof storage === "object" &&
      storage !== null &&
      typeof storage.load === "function" &&
      typeof storage.save === "function" &&
      typeof storage.clear === "function"
    if (!valid) bad("storage must be a CheckpointStorage (load, save, clear), e.g. keyValueStorage(localStorage)")
  }
  const storageKey = options.storageKey ?? url
  if (typeof storageKey !== "string" || storageKey === "") bad(`storageKey must be a non-empty string (got ${describe(options.storageKey)})`)
  const live = options.live ?? PROVIDER_DEFAULTS.live
  if (live !== "auto" && live !== "sse" && live !== "long-poll") bad(`live must be "auto", "sse" or "long-poll" (got ${describe(live)})`)
  const producerId = options.producerId
  if (producerId !== undefined && (typeof producerId !== "string" || producerId === "")) {
    bad(`producerId must be a non-empty string (got ${describe(producerId)})`)
  }
  if (options.signal !== undefined && !isAbortSignal(options.signal)) {
    bad(`signal must be an AbortSignal (got ${describe(options.signal)}); pass controller.signal, not the controller`)
  }
  const reconnectGiven = objectOption(url, options.reconnect, "reconnect")
  const reconnect = {
    initialDelayMs: duration(url, reconnectGiven.initialDelayMs ?? PROVIDER_DEFAULTS.reconnect.initialDelayMs, "reconnect.initialDelayMs"),
    maxDelayMs: duration(url, reconnectGiven.maxDelayMs ?? PROVIDER_DEFAULTS.reconnect.maxDelayMs, "reconnect.maxDelayMs"),
  }
  if (reconnect.maxDelayMs < reconnect.initialDelayMs) {
    bad(`reconnect.maxDelayMs (${reconnect.maxDelayMs}) must be >= reconnect.initialDelayMs (${reconnect.initialDelayMs})`)
  }
  return {
    url,
    stream: {
      url,
      headers: options.headers,
      params: options.params,
      fetch: options.fetch,
      retry: options.retry,
      timeouts: options.timeouts,
    },
    create: boolean(url, options.create, "create", PROVIDER_DEFAULTS.create),
    connect: boolean(url, options.connect, "connect", PROVIDER_DEFAULTS.connect),
    live,
    storage,
    storageKey,
    checkpointIntervalMs: duration(url, options.checkpointIntervalMs ?? PROVIDER_DEFAULTS.checkpointIntervalMs, "checkpointIntervalMs"),
    lingerMs: duration(url, options.lingerMs ?? PROVIDER_DEFAULTS.lingerMs, "lingerMs"),
    producerId,
    awareness: resolveAwareness(url, options.awareness),
    reconnect,
    signal: options.signal,
  }
}

function resolveAwareness(url: string, given: AwarenessOptions | false | undefined): ResolvedAwarenessOptions | undefined {
  if (given === false) return undefined
  const options = objectOption(url, given, "awareness")
  const defaults = PROVIDER_DEFAULTS.awareness
  const instance = options.instance
  if (instance !== undefined && !isAwarenessLike(instance)) {
    throw invalidArgument(url, `awareness.instance must be a y-protocols Awareness (got ${describe(instance)})`)
  }
  const ttlSeconds = options.ttlSeconds ?? defaults.ttlSeconds
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1) {
    throw invalidArgument(url, `awareness.ttlSeconds must be a whole number >= 1 (got ${describe(ttlSeconds)})`)
  }
  const timeoutMs = duration(url, options.timeoutMs ?? defaults.timeoutMs, "awareness.timeoutMs")
  if (timeoutMs < 10 || timeoutMs > MAX_AWARENESS_TIMEOUT_MS) {
    throw invalidArgument(url, `awareness.timeoutMs must be between 10 and ${MAX_AWARENESS_TIMEOUT_MS} (got ${timeoutMs})`)
  }
  let awarenessUrl: string
  if (options.url === undefined) {
    const derived = new URL(url)
    derived.pathname += ".awareness"
    awarenessUrl = derived.toString()
  } else if (typeof options.url === "string" || options.url instanceof URL) {
    awarenessUrl = String(options.url)
  } else {
    throw invalidArgument(url, `awareness.url must be a URL string (got ${describe(options.url)})`)
  }
  return {
    instance,
    url: awarenessUrl,
    ttlSeconds,
    throttleMs: duration(url, options.throttleMs ?? defaults.throttleMs, "awareness.throttleMs"),
    timeoutMs,
  }
}

function objectOption<T extends object>(url: string, value: T | undefined, name: string): Partial<T> {
  if (value === undefined) return {}
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument(url, `${name} must be an object (got ${describe(value)})`)
  }
  return value
}

function duration(url: string, value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || value > MAX_TIMER_MS) {
    throw invalidArgument(url, `${name} must be a number of milliseconds from 0 to ${MAX_TIMER_MS} (got ${describe(value)})`)
  }
  return value
}

function boolean(url: string, value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== "boolean") throw invalidArgument(url, `${name} must be true or false (got ${describe(value)})`)
  return value
}

function isAbortSignal(value: unknown): value is AbortSignal {
  return typeof value === "object" && value !== null && "aborted" in value && typeof (value as AbortSignal).addEventListener === "function"
}

function isAwarenessLike(value: unknown): value is Awareness {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Awareness).getLocalState === "function" &&
    typeof (value as Awareness).setLocalState === "function" &&
    typeof (value as Awareness).on === "function"
  )
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) return String(value)
  if (typeof value === "function") return "a function"
  if (Array.isArray(value)) return "an array"
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`
}
