/**
 * Every default of the collections layer, in one frozen table. Options
 * resolve against it in `stream-db-options.ts`; the package README lists the
 * same numbers with their reasons. (Reading defaults — live mode,
 * checkpoint interval — are the state layer's `STATE_DEFAULTS.materialize`.)
 */
export const COLLECTIONS_DEFAULTS = Object.freeze({
  /**
   * How long an action waits for the stream to echo its txid before it
   * rolls back with TIMEOUT: long enough for a slow network and a producer
   * retrying, short enough that a lost write does not stay on screen.
   */
  actionTimeoutMs: 30_000,
  /**
   * The action writer's batching window: actions are user gestures, so a
   * write goes out almost at once, yet a burst of them still shares a request.
   */
  writerLingerMs: 1,
})
