/**
 * Exit codes, one per kind of failure, so scripts can branch on `$?`
 * without parsing messages. The error line on stderr names the exact code.
 */
export const EXIT = Object.freeze({
  /** Done. */
  OK: 0,
  /** The command line was wrong: unknown command or option, missing URL, bad header, bad JSON input (and the SDK's INVALID_ARGUMENT). */
  USAGE: 1,
  /** The stream refused the operation: it is missing, gone, closed, in another configuration, or the request was not acceptable. */
  STREAM: 2,
  /** The server refused the credentials (401, 403). */
  AUTH: 3,
  /** The server could not be reached or kept failing: network errors, timeouts, 429 and 5xx after retries, redirects. */
  UNAVAILABLE: 4,
  /** The server sent data that breaks the protocol or the stream's format. */
  DATA: 5,
  /** A bug: an unexpected exception. */
  INTERNAL: 70,
  /** Stopped by Ctrl-C (SIGINT). */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM. */
  TERMINATED: 143,
})

/** An exit code of the `durable-client` command. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

const BY_CODE: Record<string, ExitCode> = {
  USAGE: EXIT.USAGE,
  INVALID_ARGUMENT: EXIT.USAGE,

  NOT_FOUND: EXIT.STREAM,
  GONE: EXIT.STREAM,
  CONFLICT: EXIT.STREAM,
  SEQUENCE_CONFLICT: EXIT.STREAM,
  STREAM_CLOSED: EXIT.STREAM,
  STALE_EPOCH: EXIT.STREAM,
  INVALID_OFFSET: EXIT.STREAM,
  BAD_REQUEST: EXIT.STREAM,
  PAYLOAD_TOO_LARGE: EXIT.STREAM,

  UNAUTHORIZED: EXIT.AUTH,
  FORBIDDEN: EXIT.AUTH,

  NETWORK: EXIT.UNAVAILABLE,
  TIMEOUT: EXIT.UNAVAILABLE,
  RATE_LIMITED: EXIT.UNAVAILABLE,
  UNEXPECTED_STATUS: EXIT.UNAVAILABLE,
  REDIRECTED: EXIT.UNAVAILABLE,
  ABORTED: EXIT.UNAVAILABLE,

  PARSE_ERROR: EXIT.DATA,
  VALIDATION: EXIT.DATA,
  PROTOCOL_VIOLATION: EXIT.DATA,

  CALLBACK_FAILED: EXIT.INTERNAL,
}

/**
 * The exit code for an error `code` (a DurableStreamError's, or the CLI's
 * own `USAGE`). A code a newer SDK adds is still a stream error.
 */
export function exitCodeFor(code: string): ExitCode {
  return BY_CODE[code] ?? EXIT.STREAM
}
