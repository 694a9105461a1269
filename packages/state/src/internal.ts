/**
 * `@durable-client/state/internal`: the json layer's internal entry plus the
 * state layer's own plumbing, for the packages built on this one
 * (collections, yjs, cli). Not for applications: no semver promise, and not
 * documented in any README.
 */
export * from "@durable-client/json/internal"
/** How an entry point turns a url or a handle into its JSON handle, and checks materialize's options. */
export { jsonStreamOf } from "./stream-source"
export { resolveMaterializeOptions } from "./materialize-options"
export type { ResolvedMaterializeOptions } from "./materialize-options"
/** The State Protocol message check materialize runs on every event. */
export { assertStateMessage, describeInvalidMessage } from "./message-validation"
