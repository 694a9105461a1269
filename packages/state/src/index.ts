export * from "@durable-client/json"
export type { ChangeHeaders, ChangeMessage, ControlMessage, ControlType, Operation, StateMessage } from "./messages"
export { isChangeMessage, isControlMessage } from "./messages"
export { StateMessageError } from "./message-validation"
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
export type { ViewForkOptions } from "./view-fork"
export { keyValueStorage, memoryStorage } from "./checkpoint-storage"
export type { Checkpoint, CheckpointStorage, KeyValueBackend } from "./checkpoint-storage"
export { StateWriter } from "./state-writer"
export type { StateWriterOptions, WriteResult } from "./state-writer"
export { createTxid } from "./txid"
export { STATE_DEFAULTS } from "./defaults"
export type { StreamSource } from "./stream-source"
// Plumbing shared by the layers above lives in `./internal` (@durable-client/state/internal), not here.
