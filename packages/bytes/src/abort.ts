/**
 * Cancellation helpers built only on AbortController, because
 * `AbortSignal.any` and `AbortSignal.timeout` are missing in React Native and
 * older runtimes. Every listener and timer is released by the returned
 * disposer so a finished request leaves nothing behind.
 */

/** A controller that aborts when any of `signals` aborts. */
export function linkedController(
  ...signals: Array<AbortSignal | undefined>
): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController()
  const cleanups: Array<() => void> = []
  for (const signal of signals) {
    if (!signal) continue
    if (signal.aborted) {
      controller.abort(signal.reason)
      break
    }
    const onAbort = (): void => controller.abort(signal.reason)
    signal.addEventListener("abort", onAbort, { once: true })
    cleanups.push(() => signal.removeEventListener("abort", onAbort))
  }
  return {
    controller,
    dispose: () => {
      for (const cleanup of cleanups) cleanup()
      cleanups.length = 0
    },
  }
}

/** Reason used when our own code aborts (cancel, client-side timeout). */
export class AbortReason extends Error {
  override readonly name = "AbortReason"
  constructor(readonly kind: "cancel" | "timeout") {
    super(kind === "cancel" ? "cancelled" : "timed out")
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal))
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(abortError(signal!))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort)
      resolve()
    }, ms)
    signal?.addEventListener("abort", onAbort, { once: true })
  })
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new AbortReason("cancel")
}

/** True when `error` came from an aborted fetch or body read. */
export function isAbortError(error: unknown): boolean {
  return (
    error instanceof AbortReason ||
    (typeof error === "object" &&
      error !== null &&
      ((error as { name?: unknown }).name === "AbortError" ||
        (error as { name?: unknown }).name === "TimeoutError"))
  )
}
