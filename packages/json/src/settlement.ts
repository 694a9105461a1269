import type { ProducerAppendResult } from "./producer-commands"

const noop = (): void => undefined

// One executor for every ticket: it hands its resolvers over through these
// two slots, so a ticket costs its promise and not a closure as well.
let nextResolve: (result: ProducerAppendResult) => void = noop
let nextReject: (error: Error) => void = noop
function capture(resolve: typeof nextResolve, reject: typeof nextReject): void {
  nextResolve = resolve
  nextReject = reject
}

/**
 * One append's result (the producer core's ticket). Every append has its
 * own, so one message of a batch can fail alone (a 413 split).
 */
export class Settlement {
  readonly promise: Promise<ProducerAppendResult>
  private readonly resolvePromise: (result: ProducerAppendResult) => void
  private readonly rejectPromise: (error: Error) => void

  constructor() {
    this.promise = new Promise<ProducerAppendResult>(capture)
    this.resolvePromise = nextResolve
    this.rejectPromise = nextReject
  }

  resolve(result: ProducerAppendResult): void {
    this.resolvePromise(result)
  }

  reject(error: Error): void {
    // Fire-and-forget callers must not crash the process on rejection;
    // flush() and onError report it. The handler is attached only when a
    // ticket fails (before the rejection, so it is never unhandled): one
    // per append would cost a promise and a microtask on every success.
    this.promise.catch(noop)
    this.rejectPromise(error)
  }
}

export function settle(): Settlement {
  return new Settlement()
}

export function settledRejection<T>(error: Error): Promise<T> {
  const promise = Promise.reject(error)
  promise.catch(noop)
  return promise
}

