/**
 * `@durable-client/bytes/internal`: plumbing the layers above share (json,
 * state, collections, ai-sdk, yjs, cli and the conformance adapter), kept out
 * of the public entry so that `@durable-client/bytes` shows applications only
 * what they need. Not for applications: no semver promise, and not documented
 * in any README. Each layer above re-exports it from its own `/internal`, so a
 * package imports only the layer it depends on.
 */
/** The retry decision: which failures each operation retries, the backoff and the budget. */
export { defaultIsRetryable, mayHaveBeenStored, resolveRetry } from "./retry-policy"
export type { ResolvedRetry, RetryRule } from "./retry-policy"
export type { RequestPlan } from "./http"
/** Header names and the flag-header convention of the protocol. */
export { H as ProtocolHeaders, flagHeader, isJsonContentType } from "./protocol-headers"
/** The option checks every entry point shares (INVALID_ARGUMENT naming URL and option). */
export { invalidArgument } from "./errors"
export { readStart } from "./options"
/** A caller's wait that ends with ABORTED when their signal fires. */
export { untilAborted } from "./until-aborted"
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
/** See async-iterator.ts. */
export { aliasAsyncIterator } from "./async-iterator"
/** How a caller's throwing callback is reported (CALLBACK_FAILED). */
export { callbackFailed, reportCallbackError } from "./callback-error"
/** Calls each listener; one that throws is reported as the app's uncaught error (CALLBACK_FAILED), never breaks the read. */
export { notify } from "./session-health"
/** Base64 without `atob`/`btoa` (missing in some React Native runtimes). */
export { decodeBase64, encodeBase64 } from "./base64"
