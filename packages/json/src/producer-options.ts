import { type RetryOptions } from "@durable-client/bytes"
import {
  describeValue,
  duration,
  invalidArgument,
  optionalBoolean,
  optionalFunction,
  optionalSignal,
  optionsObject,
  resolveRetry,
  wholeNumber,
  type ResolvedRetry,
} from "@durable-client/bytes/internal"
import { JSON_DEFAULTS } from "./defaults"
import { OUTBOX_JOURNAL } from "./outbox-journal-key"
import type { ProducerOutbox } from "./producer-outbox"

const DEFAULTS = JSON_DEFAULTS.producer

/** Options of `IdempotentProducer`. */
export interface IdempotentProducerOptions {
  /**
   * Starting epoch; bump it when a producer restarts with persisted identity.
   * @default 0
   */
  epoch?: number
  /**
   * On a 403 (a newer epoch exists), or on finding its epoch already used by
   * another instance, take a fresh epoch and carry on. For producers without
   * persisted state; it can fence a live twin.
   * @default false
   */
  autoClaim?: boolean
  /**
   * How long a batch waits for more messages before it is sent.
   * @default 5 ms
   */
  lingerMs?: number
  /**
   * Largest batch body in bytes; a single larger message is sent alone.
   * @default 1 MiB
   */
  maxBatchBytes?: number
  /**
   * Most messages per batch.
   * @default unlimited
   */
  maxBatchItems?: number
  /**
   * Batches on the wire at once.
   * @default 5
   */
  maxInFlight?: number
  /**
   * Unacknowledged bytes allowed before `append` waits and `ready` pends.
   * @default 16 MiB
   */
  maxBufferedBytes?: number
  /**
   * Retry policy for network errors, 429 and 5xx (same epoch, seq and
   * bytes). Fields left out take the handle's, except `maxRetries`.
   * @default { maxRetries: 10 } (a byte handle's default is 8; see the README)
   */
  retry?: RetryOptions
  /** Aborting stops the producer: requests in flight are cancelled, pending appends rejected. */
  signal?: AbortSignal
  /**
   * Told about the failure that stopped the producer (once), so
   * fire-and-forget callers still hear about it. What it throws does not
   * change what the producer does: it is reported as an uncaught
   * CALLBACK_FAILED error (see the README).
   */
  onError?: (error: Error) => void
  /**
   * Keeps sent, unacknowledged batches (with their epoch and seq) across a
   * crash: a producer created later with the same id and outbox resends
   * them, exactly once, before anything new. See `keyValueOutbox`,
   * `webStorageOutbox` and `createMemoryOutbox` (`@durable-client/json/outbox`).
   */
  outbox?: ProducerOutbox
}

export interface ResolvedProducerOptions {
  epoch: number
  autoClaim: boolean
  lingerMs: number
  maxBatchBytes: number
  maxBatchItems: number
  maxInFlight: number
  maxBufferedBytes: number
  retry: ResolvedRetry
  signal: AbortSignal | undefined
  onError: ((error: Error) => void) | undefined
  outbox: ProducerOutbox | undefined
}

/**
 * The one place a producer's options are checked and defaulted. Every
 * mistake is an INVALID_ARGUMENT naming the stream and the field, thrown
 * before any data is queued or any request sent.
 */
export function resolveProducerOptions(
  url: string,
  producerId: unknown,
  given: IdempotentProducerOptions | undefined,
  handleRetry: ResolvedRetry
): ResolvedProducerOptions {
  if (typeof producerId !== "string" || producerId === "") {
    throw invalidArgument(url, `producerId must be a non-empty string (got ${describeValue(producerId)})`)
  }
  const options = optionsObject(url, given, "producer options")
  const maxBatchItems = options.maxBatchItems ?? DEFAULTS.maxBatchItems
  return {
    epoch: wholeNumber(url, options.epoch ?? DEFAULTS.epoch, "epoch"),
    autoClaim: optionalBoolean(url, options.autoClaim, "autoClaim") ?? DEFAULTS.autoClaim,
    // A timer can wait at most 2^31-1 ms; longer would fire at once, every time.
    lingerMs: duration(url, options.lingerMs ?? DEFAULTS.lingerMs, "lingerMs", { min: 0 }),
    maxBatchBytes: wholeNumber(url, options.maxBatchBytes ?? DEFAULTS.maxBatchBytes, "maxBatchBytes", { min: 1 }),
    maxBatchItems:
      maxBatchItems === Number.POSITIVE_INFINITY ? maxBatchItems : wholeNumber(url, maxBatchItems, "maxBatchItems", { min: 1 }),
    maxInFlight: wholeNumber(url, options.maxInFlight ?? DEFAULTS.maxInFlight, "maxInFlight", { min: 1 }),
    maxBufferedBytes: wholeNumber(url, options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes, "maxBufferedBytes", { min: 1 }),
    retry: resolveRetry(url, {
      ...handleRetry,
      maxRetries: DEFAULTS.maxRetries,
      ...stripUndefined(url, options.retry),
    }),
    signal: optionalSignal(url, options.signal, "signal"),
    onError: optionalFunction<(error: Error) => void>(url, options.onError, "onError"),
    outbox: resolveOutbox(url, options.outbox),
  }
}

function stripUndefined(url: string, value: RetryOptions | undefined): RetryOptions {
  const given = optionsObject(url, value, "retry")
  const out: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(given)) if (field !== undefined) out[key] = field
  return out as RetryOptions
}

function resolveOutbox(url: string, outbox: unknown): ProducerOutbox | undefined {
  if (outbox === undefined) return undefined
  const candidate = outbox as Partial<ProducerOutbox> | null
  if (typeof candidate !== "object" || candidate === null || typeof candidate[OUTBOX_JOURNAL] !== "function") {
    throw invalidArgument(
      url,
      `outbox must come from keyValueOutbox(store), webStorageOutbox(storage) or createMemoryOutbox(), from @durable-client/json/outbox (got ${describeValue(outbox)})`
    )
  }
  return candidate as ProducerOutbox
}
