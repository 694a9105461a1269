export * from "@durable-client/bytes"
export { JsonStream } from "./json-stream"
export type { JsonCreateOptions, JsonFromOptions, JsonStreamOptions } from "./json-stream"
export { JsonReadSession } from "./json-read-session"
export type { JsonBatch } from "./json-read-session"
export type { MessagePosition, PositionedMessage } from "./message-position"
export { IdempotentProducer } from "./idempotent-producer"
export type { ProducerAppendResult } from "./idempotent-producer"
export type { AppendReceipt } from "./settlement"
export type { IdempotentProducerOptions } from "./producer-options"
// The outbox adapters (createMemoryOutbox, webStorageOutbox, keyValueOutbox) live in `./outbox` (@durable-client/json/outbox).
export type { ProducerOutbox } from "./producer-outbox"
// producerWritable (a WritableStream over a producer) lives in `./writable` (@durable-client/json/writable).
export { JSON_DEFAULTS } from "./defaults"
export { ValidationError } from "./validation-error"
export type { ValidationIssue } from "./validation-error"
export type { StandardSchemaV1 } from "@standard-schema/spec"
// Plumbing shared by the layers above lives in `./internal` (@durable-client/json/internal), not here.
