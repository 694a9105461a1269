import { DurableStreamError } from "./errors"

/**
 * `promise`, or ABORTED ("<what> stream <url> was aborted") as soon as the
 * caller's signal fires: a wait on the caller's behalf ends when they say so,
 * even while what it waits for goes on.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, url: string, what: string): Promise<T> {
  if (!signal) return promise
  const aborted = (): DurableStreamError =>
    new DurableStreamError("ABORTED", `${what} stream ${url} was aborted`, { url, operation: "append", cause: signal.reason })
  if (signal.aborted) return Promise.reject(aborted())
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted())
    signal.addEventListener("abort", onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort))
  })
}
