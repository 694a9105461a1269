export * from "@durable-client/json"
export type { ChangeHeaders, ChangeMessage, ControlMessage, ControlType, Operation, StateMessage } from "./messages"
export { isChangeMessage, isControlMessage } from "./messages"
export { StateMessageError, assertStateMessage, describeInvalidMessage } from "./message-validation"
export { createStateSchema, entityForType, isStateSchema } from "./state-schema"
export type {
  ChangeOptions,
  EntityDefinition,
  EntityHelpers,
  EntityValue,
  StateSchema,
  StateSchemaDefinition,
} from "./state-schema"
export { MaterializedState } from "./materialized-state"
export type { Change, ChangeObserver, MaterializedStateOptions, StateSnapshot } from "./materialized-state"
export { Materializer, materialize } from "./materialize"
export type { MaterializeOptions } from "./materialize"
export { keyValueStorage, memoryStorage } from "./checkpoint-storage"
export type { Checkpoint, CheckpointStorage, KeyValueBackend } from "./checkpoint-storage"
export { StateWriter } from "./state-writer"
export type { StateWriterOptions, WriteResult } from "./state-writer"
export { createTxid } from "./txid"
export { STATE_DEFAULTS } from "./defaults"
export type { StreamSource } from "./stream-source"
/** For the layer above: how an entry point turns a url or a handle into its JSON handle, and checks materialize's options. */
export { jsonStreamOf } from "./stream-source"
export { resolveMaterializeOptions } from "./materialize-options"
export type { ResolvedMaterializeOptions } from "./materialize-options"
