export * from "@durable-client/state"
export { Collection } from "./collection"
export { LiveQuery } from "./live-query"
export { LiveRow } from "./live-row"
export type { OrderBy, QueryOptions, SortDirection, Where } from "./query-spec"
export type { Store } from "./store"
export { StreamDB, createStreamDB } from "./stream-db"
export { COLLECTIONS_DEFAULTS } from "./defaults"
export type {
  ActionContext,
  ActionDefinition,
  ActionDefinitions,
  ActionFunctions,
  ActionResult,
  Collections,
  Draft,
  DraftCollection,
  RowOf,
  StreamDBOptions,
} from "./stream-db"
