// The durable outbox adapters and the journal they carry: their own entry, so a page whose producer keeps no outbox does not ship them.
export { createMemoryOutbox, keyValueOutbox, webStorageOutbox } from "./producer-outbox"
export type { KeyValueStore, ProducerOutbox, WebStorageLike } from "./producer-outbox"
