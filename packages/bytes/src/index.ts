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
export type { ForkFailure, ForkOptions, ForkResult } from "./fork"
export { ReadSession } from "./read-session"
export type {
  LiveMode,
  LiveSharing,
  ReadOptions,
  SessionHealth,
  SessionStatus,
  SharedReadContext,
  StreamChunk,
} from "./read-session"
export type { ActivitySource, AppStateLike, LifecycleOptions, NetInfoLike, VisibilityDocument } from "./lifecycle"
export type { PauseReason } from "./live-supervisor"
export type { TransportName } from "./read-transport"
export { DurableStreamError, isDurableStreamError } from "./errors"
export type { DurableStreamErrorCode, StreamOperation } from "./errors"
export type { FetchLike, OnError, RetryWith } from "./http"
/** For the layers above: the retry decision the bytes layer makes for every request. */
export { defaultIsRetryable } from "./http"
export type { TimeoutOptions } from "./options"
export type { DynamicValue, HeadersRecord, ParamsRecord } from "./request-values"
export { resolveRetry } from "./retry"
export type { ResolvedRetry, RetryOptions } from "./retry"
export { H as ProtocolHeaders, flagHeader, isJsonContentType } from "./protocol-headers"
export { invalidArgument } from "./errors"
/** For the layers above: the option checks every entry point shares (INVALID_ARGUMENT naming URL and option). */
export {
  describeValue,
  duration,
  optionalBoolean,
  optionalFunction,
  optionalSignal,
  optionalString,
  optionsObject,
  wholeNumber,
} from "./validate"
export type { RequestPlan } from "./http"
/** For the layers above: see async-iterator.ts. */
export { aliasAsyncIterator } from "./async-iterator"
/** For the layers above: how a caller's throwing callback is reported (CALLBACK_FAILED). */
export { callbackFailed, reportCallbackError } from "./callback-error"
export type { OnCallbackError } from "./callback-error"
