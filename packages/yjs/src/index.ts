export { DurableYjsProvider } from "./durable-yjs-provider"
export type { DurableYjsProviderEvents, ProviderStatus } from "./provider-events"
export { PROVIDER_DEFAULTS } from "./provider-options"
export type {
  AwarenessOptions,
  DurableYjsProviderOptions,
  ProviderLiveMode,
  ReconnectOptions,
} from "./provider-options"
export { indexedDbStorage } from "./indexeddb-storage"
export type { IndexedDbStorageOptions } from "./indexeddb-storage"
export { encodeFrame, FrameDecoder, FrameError, YJS_FRAMES_CONTENT_TYPE } from "./update-frames"
// What a provider's options need from the layers below, so this one install is enough.
export {
  DurableStream,
  DurableStreamError,
  isDurableStreamError,
  keyValueStorage,
  memoryStorage,
} from "@durable-client/state"
export type {
  Checkpoint,
  CheckpointStorage,
  DurableStreamErrorCode,
  FetchLike,
  KeyValueBackend,
} from "@durable-client/state"
