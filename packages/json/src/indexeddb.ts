// The IndexedDB key-value store: its own entry, so a page that does not use it does not ship it.
export { indexedDbKeyValue } from "./indexeddb-key-value"
export type { IndexedDbKeyValue, IndexedDbKeyValueOptions } from "./indexeddb-key-value"
