export * from "@durable-client/json"
export type { ChangeHeaders, ChangeMessage, ControlMessage, ControlType, Operation, StateMessage } from "./messages"
export { isChangeMessage, isControlMessage } from "./messages"
export { StateMessageError, assertStateMessage, describeInvalidMessage } from "./message-validation"
export { createStateSchema, entityForType } from "./state-schema"
export type {
  ChangeOptions,
  EntityDefinition,
  EntityHelpers,
  EntityValue,
  StateSchema,
  StateSchemaDefinition,
} from "./state-schema"
export { MaterializedState } from "./materialized-state"
export type { Change, ChangeObserver, StateSnapshot } from "./materialized-state"
export { Materializer, materialize } from "./materialize"
export type { MaterializeOptions } from "./materialize"
export { keyValueStorage, memoryStorage } from "./checkpoint-storage"
export type { Checkpoint, CheckpointStorage, KeyValueBackend } from "./checkpoint-storage"
export { StateWriter } from "./state-writer"
export type { StateWriterOptions, WriteResult } from "./state-writer"
export { createTxid } from "./txid"
