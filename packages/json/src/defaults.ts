/**
 * Every default of the JSON layer, in one frozen table. Options resolve
 * against it in `json-stream-options.ts` and `producer-options.ts`; the
 * package README lists the same numbers with their reasons.
 */

const MiB = 1024 * 1024

/** Defaults of the JSON layer (`JsonStream`, `IdempotentProducer`). */
export const JSON_DEFAULTS = Object.freeze({
  /** What `JsonStream` creates streams as. Any `application/json` variant is accepted. */
  contentType: "application/json",
  producer: Object.freeze({
    /** A producer without persisted identity starts at epoch 0 (bump it, or use autoClaim, after a restart). */
    epoch: 0,
    autoClaim: false,
    /** Long enough to gather a burst of appends into one request, short enough not to be noticed. */
    lingerMs: 5,
    /** One request body; the reference server accepts far more, proxies often cap near a few MiB. */
    maxBatchBytes: MiB,
    /** No count limit: bytes bound a batch. */
    maxBatchItems: Number.POSITIVE_INFINITY,
    /** Batches on the wire at once: enough to fill a high-latency link, few enough that a gap heals fast. */
    maxInFlight: 5,
    /** Unacknowledged bytes before `append` waits and `ready` pends. */
    maxBufferedBytes: 16 * MiB,
    /**
     * Retries per batch: two more than a byte handle's 8. A producer's
     * resend is always safe (same epoch, seq and bytes: the server drops
     * duplicates), and a batch that gives up fails every later message, so
     * it rides out a longer outage: up to about 43 s of backoff at the
     * handle's delays, against about 23 s.
     */
    maxRetries: 10,
  }),
})
