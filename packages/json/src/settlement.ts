import { DurableStreamError } from "@durable-client/bytes"
import type { ProducerAppendResult } from "./producer-commands"

/**
 * The result shared by every append of one batch: they are stored (or fail)
 * together, so one promise serves them all (the producer core's ticket).
 */
export interface Settlement {
  promise: Promise<ProducerAppendResult>
  resolve: (result: ProducerAppendResult) => void
  reject: (error: Error) => void
}

const noop = (): void => undefined

export function settle(): Settlement {
  let resolve!: Settlement["resolve"]
  let reject!: Settlement["reject"]
  const promise = new Promise<ProducerAppendResult>((res, rej) => {
    resolve = res
    reject = rej
  })
  // Fire-and-forget callers must not crash the process on rejection; flush() and onError report it.
  promise.catch(noop)
  return { promise, resolve, reject }
}

export function settledRejection<T>(error: Error): Promise<T> {
  const promise = Promise.reject(error)
  promise.catch(noop)
  return promise
}

/** Waits for `promise` until `signal` fires (ABORTED); the listener is removed either way. */
export function waitWithSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined, url: string): Promise<T> {
  if (!signal) return promise
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(new DurableStreamError("ABORTED", `Waiting on stream ${url} was aborted`, { url, operation: "append" }))
    if (signal.aborted) return onAbort()
    signal.addEventListener("abort", onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      }
    )
  })
}
