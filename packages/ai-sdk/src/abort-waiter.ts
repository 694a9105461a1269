const noop = (): void => undefined

/** What `abortWaiter(signal).race(p)` settles with once the signal fires. */
export const ABORTED = Symbol("aborted")

export function isAbortSignal(value: unknown): value is AbortSignal {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as AbortSignal).aborted === "boolean" &&
    typeof (value as AbortSignal).addEventListener === "function"
  )
}

/**
 * Races a wait against the signal: `race(p)` settles like `p`, or with ABORTED
 * once the signal fires. Without a signal it is `p` itself: racing a promise
 * that never settles would pile up one reaction per chunk. dispose() removes
 * the listener.
 */
export function abortWaiter(signal: AbortSignal | undefined): {
  race<T>(promise: Promise<T>): Promise<T | typeof ABORTED>
  dispose(): void
} {
  if (!signal) return { race: (promise) => promise, dispose: noop }
  let onAbort = noop
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED)
    if (signal.aborted) resolve(ABORTED)
    else signal.addEventListener("abort", onAbort, { once: true })
  })
  return {
    race: (promise) => Promise.race([promise, aborted]),
    dispose: () => signal.removeEventListener("abort", onAbort),
  }
}
