/**
 * `@durable-client/json/internal`: the bytes layer's internal entry plus the
 * JSON layer's own plumbing, for the packages built on this one (state,
 * ai-sdk, the conformance adapter). Not for applications: no semver promise,
 * and not documented in any README.
 */
export * from "@durable-client/bytes/internal"
/** The one schema path every layer validates through. */
export { isStandardSchema, validateWithSchema } from "./schema-validation"
export type { SchemaVerdict, ValidationContext } from "./schema-validation"
/** How our IndexedDB stores open their database and run a request (the key-value store, yjs's checkpoint store). */
export { openIndexedDbStore } from "./indexeddb-store"
export type { IndexedDbRun, IndexedDbStoreOptions } from "./indexeddb-store"
