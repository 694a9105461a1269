export { DurableChatTransport } from "./durable-chat-transport"
export { DURABLE_CHAT_TRANSPORT_DEFAULTS } from "./transport-options"
export type { ChatRequestBody, DurableChatTransportOptions } from "./transport-options"
export {
  CHAT_STREAM_STORE_DEFAULTS,
  defaultChatStreamStore,
  localStorageChatStreamStore,
  memoryChatStreamStore,
} from "./chat-stream-store"
export type { ChatStreamRecord, ChatStreamStore, KeyValueStorage } from "./chat-stream-store"
export { CHAT_STREAM_DEFAULTS, startChatStream } from "./chat-stream"
export type { ChatStream, ChatStreamOptions, ChatStreamProducerOptions, ChatStreamResult } from "./chat-stream"
export type { GenerationOutcome } from "./chunks"
export { CHAT_STREAM_URL_HEADER } from "./protocol"
export { DurableStreamError, isDurableStreamError } from "@durable-client/json"
export type { DurableStreamErrorCode, HeadersRecord, ParamsRecord } from "@durable-client/json"
