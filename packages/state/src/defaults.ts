/**
 * Every default of the state layer, in one frozen table. Options resolve
 * against it in `materialize-options.ts` and `state-writer-options.ts`; the
 * package README lists the same numbers with their reasons.
 */
export const STATE_DEFAULTS = Object.freeze({
  materialize: Object.freeze({
    /** Without a checkpoint, read the whole stream. */
    offset: "-1",
    /** Catch up, then follow: SSE, falling back to long-poll. */
    live: "auto",
    /**
     * Least time between checkpoint saves while live: a burst of batches
     * costs one write to storage, and a crash loses at most a second of
     * replay (never data: the offset is saved with the state it belongs to).
     */
    checkpointIntervalMs: 1000,
    /**
     * Txids remembered for `awaitTxid` (oldest forgotten first). Awaiting a
     * forgotten one only costs waiting for it again.
     */
    rememberedTxids: 10_000,
  }),
  writer: Object.freeze({
    /** Prefix of a writer's random producer id (no fencing across restarts without a fixed id). */
    producerIdPrefix: "state-writer-",
  }),
})
