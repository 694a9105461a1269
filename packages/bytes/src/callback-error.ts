import { DurableStreamError, type StreamOperation } from "./errors"

/** Receives CALLBACK_FAILED errors: what a function the caller gave us threw. */
export type OnCallbackError = (error: DurableStreamError) => void

/**
 * A caller's callback threw (or its promise rejected): CALLBACK_FAILED naming
 * the callback and the stream, with what it threw as `cause`.
 */
export function callbackFailed(
  url: string,
  callback: string,
  thrown: unknown,
  operation?: StreamOperation
): DurableStreamError {
  const reason = thrown instanceof Error ? thrown.message : String(thrown)
  return new DurableStreamError("CALLBACK_FAILED", `Stream ${url}: ${callback} threw (${reason}); see cause`, {
    url,
    operation,
    cause: thrown,
  })
}

/**
 * Delivers a callback's failure without letting it into the SDK's own call
 * stack, so whatever was running (a batch being applied, a producer failing
 * over) finishes as if the callback had returned. It goes to `handler` when
 * the caller gave one. Otherwise (or when the handler throws too) it is an
 * uncaught error of the app, as a throwing event listener is: `reportError`
 * where the runtime has it, else thrown from a timer. Never `console.*`,
 * never swallowed.
 */
export function reportCallbackError(error: DurableStreamError, handler: OnCallbackError | undefined): void {
  if (handler) {
    try {
      handler(error)
      return
    } catch (thrown) {
      reportUncaught(callbackFailed(error.url, "onCallbackError", thrown))
      return
    }
  }
  reportUncaught(error)
}

function reportUncaught(error: DurableStreamError): void {
  const report = (globalThis as { reportError?: (error: unknown) => void }).reportError
  if (typeof report === "function") {
    report(error)
    return
  }
  // A fresh task: thrown there, it reaches the runtime's uncaught-error handler, not our caller.
  setTimeout(() => {
    throw error
  }, 0)
}
