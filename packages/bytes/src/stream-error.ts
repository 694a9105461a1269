import { AbortReason, isAbortError } from "./abort"
import { DurableStreamError, isDurableStreamError, type StreamOperation } from "./errors"

/** Normalises anything thrown during a request into a DurableStreamError. */
export function toStreamError(
  caught: unknown,
  url: string,
  plan: { operation: StreamOperation; offset?: string; signal?: AbortSignal; connection?: { readonly interrupted: unknown } }
): DurableStreamError {
  if (isDurableStreamError(caught)) return caught
  const base = { url, operation: plan.operation, offset: plan.offset, cause: caught }
  // A connection its owner ended is aborted too, though its abort looks like our own timer's.
  if (plan.signal?.aborted || (plan.connection !== undefined && plan.connection.interrupted !== undefined)) {
    return new DurableStreamError("ABORTED", `${plan.operation} of stream ${url} was aborted`, base)
  }
  if (caught instanceof AbortReason && caught.kind === "timeout") {
    return timeoutError(url, plan.operation, base)
  }
  if (isAbortError(caught)) {
    // Aborted by something other than our caller (e.g. our per-attempt timer).
    return timeoutError(url, plan.operation, base)
  }
  const reason = caught instanceof Error ? caught.message : String(caught)
  return new DurableStreamError(
    "NETWORK",
    `${plan.operation} of stream ${url} failed: network error (${reason})`,
    base
  )
}

function timeoutError(
  url: string,
  operation: StreamOperation,
  details: { url: string; operation: StreamOperation; offset?: string; cause: unknown }
): DurableStreamError {
  // A write that timed out may have reached the server: say so, since the
  // caller decides whether sending it again could store it twice.
  const maybeStored = operation === "append" || operation === "close" ? " (it may have been stored)" : ""
  return new DurableStreamError("TIMEOUT", `${operation} of stream ${url} timed out${maybeStored}`, details)
}
