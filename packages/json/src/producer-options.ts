import { invalidArgument, resolveRetry, type ResolvedRetry, type RetryOptions } from "@durable-client/bytes"

export interface IdempotentProducerOptions {
  /** Starting epoch; bump it when a producer restarts with persisted identity. Default 0. */
  epoch?: number
  /**
   * On a 403 (a newer epoch exists), take the server's epoch + 1 and carry
   * on. For producers without persisted state; it can fence a live twin.
   * Default false.
   */
  autoClaim?: boolean
  /** How long a batch waits for more messages before it is sent. Default 5 ms. */
  lingerMs?: number
  /** Largest batch body in bytes; a single larger message is sent alone. Default 1 MiB. */
  maxBatchBytes?: number
  /** Most messages per batch. Default unlimited. */
  maxBatchItems?: number
  /** Batches on the wire at once. Default 5. */
  maxInFlight?: number
  /**
   * Unacknowledged bytes allowed before `append` waits and `ready` pends.
   * Default 16 MiB.
   */
  maxBufferedBytes?: number
  /** Retry policy for network errors, 429 and 5xx (same epoch, seq and bytes). */
  retry?: RetryOptions
  /** Aborting stops the producer: requests in flight are cancelled, pending appends rejected. */
  signal?: AbortSignal
  /** Told about every failure, so fire-and-forget callers still hear about it. */
  onError?: (error: Error) => void
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
}

const MiB = 1024 * 1024

/** Validates every option up front, naming the field, so mistakes surface before any data is queued. */
export function resolveProducerOptions(
  url: string,
  producerId: unknown,
  options: IdempotentProducerOptions
): ResolvedProducerOptions {
  if (typeof producerId !== "string" || producerId === "") {
    throw invalidArgument(url, "producerId must be a non-empty string")
  }
  const epoch = options.epoch ?? 0
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw invalidArgument(url, `epoch must be a whole number >= 0 (got ${String(epoch)})`)
  }
  const lingerMs = options.lingerMs ?? 5
  if (!(lingerMs >= 0) || !Number.isFinite(lingerMs)) {
    throw invalidArgument(url, `lingerMs must be >= 0 (got ${String(lingerMs)})`)
  }
  const maxBatchBytes = options.maxBatchBytes ?? MiB
  if (!(maxBatchBytes > 0)) {
    throw invalidArgument(url, `maxBatchBytes must be > 0 (got ${String(maxBatchBytes)})`)
  }
  const maxBatchItems = options.maxBatchItems ?? Number.POSITIVE_INFINITY
  if (!(maxBatchItems >= 1) || (Number.isFinite(maxBatchItems) && !Number.isInteger(maxBatchItems))) {
    throw invalidArgument(url, `maxBatchItems must be a whole number >= 1 (got ${String(maxBatchItems)})`)
  }
  const maxInFlight = options.maxInFlight ?? 5
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw invalidArgument(url, `maxInFlight must be a whole number >= 1 (got ${String(maxInFlight)})`)
  }
  const maxBufferedBytes = options.maxBufferedBytes ?? 16 * MiB
  if (!(maxBufferedBytes > 0)) {
    throw invalidArgument(url, `maxBufferedBytes must be > 0 (got ${String(maxBufferedBytes)})`)
  }
  return {
    epoch,
    autoClaim: options.autoClaim ?? false,
    lingerMs,
    maxBatchBytes,
    maxBatchItems,
    maxInFlight,
    maxBufferedBytes,
    retry: resolveRetry(url, { maxRetries: 10, ...stripUndefined(options.retry) }),
  }
}

function stripUndefined(value: RetryOptions | undefined): RetryOptions {
  const out: Record<string, number> = {}
  if (!value) return out
  for (const [key, field] of Object.entries(value)) if (field !== undefined) out[key] = field as number
  return out
}
