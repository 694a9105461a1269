/**
 * A mistake on the command line (exit code 1). Its `code` sits beside the
 * SDK's error codes in the error line: `durable-client: USAGE: …`.
 */
export class UsageError extends Error {
  override readonly name = "UsageError"
  readonly code = "USAGE"
}

export function usageError(message: string): UsageError {
  return new UsageError(message)
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError
}
