interface Waiter {
  ready: () => boolean
  resolve: () => void
  reject: (error: Error) => void
}

/**
 * Promises that resolve when a condition holds (`check()` is called whenever
 * it may have changed), reject together on `rejectAll`, and let go of the
 * caller's signal either way.
 */
export class ConditionWaiters {
  private readonly waiters = new Set<Waiter>()

  waitUntil(ready: () => boolean, signal: AbortSignal | undefined): Promise<void> {
    if (ready()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = (): void => {
        this.waiters.delete(waiter)
        reject(signal!.reason)
      }
      const waiter: Waiter = {
        ready,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort)
          resolve()
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort)
          reject(error)
        },
      }
      signal?.addEventListener("abort", onAbort, { once: true })
      this.waiters.add(waiter)
    })
  }

  check(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.ready()) {
        this.waiters.delete(waiter)
        waiter.resolve()
      }
    }
  }

  rejectAll(error: Error): void {
    for (const waiter of [...this.waiters]) {
      this.waiters.delete(waiter)
      waiter.reject(error)
    }
  }
}
