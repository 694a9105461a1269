export { DurableStream } from "./durable-stream"
export { supportsRequestStreams } from "./append-stream"
export type { AppendStreamChunk, AppendStreamOptions, AppendStreamSource } from "./append-stream"
export type {
  AppendData,
  AppendOptions,
  AppendResult,
  CloseOptions,
  CreateOptions,
  CreateResult,
  DurableStreamOptions,
  OperationOptions,
  StreamInfo,
} from "./durable-stream"
export { FORK_HEADERS, ForkError, forkStream } from "./fork"
export type { ForkFailure, ForkOptions, ForkPoint, ForkResult } from "./fork"
export { ReadSession } from "./read-session"
export type { SessionHealth, SessionStatus, StreamChunk } from "./read-session"
export type { LiveMode, ReadOptions } from "./read-options"
export type { LiveSharing, SharedReadContext } from "./live-sharing"
export type { ActivitySource, AppStateLike, LifecycleOptions, NetInfoLike, VisibilityDocument } from "./lifecycle"
export type { PauseReason } from "./live-supervisor"
export type { TransportName } from "./read-transport"
export { DurableStreamError, isDurableStreamError } from "./errors"
export type { DurableStreamErrorCode, StreamOperation } from "./errors"
export type { FetchLike, OnError, RetryWith } from "./http"
export type { TimeoutOptions } from "./options"
export type { DynamicValue, HeadersRecord, ParamsRecord } from "./request-values"
export type { RetryOptions } from "./retry-policy"
export type { OnCallbackError } from "./callback-error"
// Plumbing shared by the layers above lives in `./internal` (@durable-client/bytes/internal), not here.
