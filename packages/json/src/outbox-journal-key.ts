/**
 * The property through which an outbox adapter brings the code that keeps
 * it in step with a producer (`OutboxJournal`): the producer reaches that
 * code only through an outbox, so an app without one does not ship it.
 */
export const OUTBOX_JOURNAL: unique symbol = Symbol.for("durable-client.outbox-journal")
