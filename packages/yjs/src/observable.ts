/**
 * A small typed event emitter: `on`, `once`, `off`. A listener that throws
 * does not stop the provider or the other listeners; its error is reported
 * the way the platform reports an uncaught one (as EventTarget does).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class Observable<Events extends Record<keyof Events, (...args: any[]) => void>> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>()

  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    let set = this.listeners.get(event)
    if (!set) this.listeners.set(event, (set = new Set()))
    set.add(listener)
    return this
  }

  off<E extends keyof Events>(event: E, listener: Events[E]): this {
    this.listeners.get(event)?.delete(listener)
    return this
  }

  once<E extends keyof Events>(event: E, listener: Events[E]): this {
    const wrapper = ((...args: Parameters<Events[E]>) => {
      this.off(event, wrapper)
      listener(...args)
    }) as Events[E]
    return this.on(event, wrapper)
  }

  protected emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.listeners.get(event)
    if (!set) return
    for (const listener of [...set]) {
      try {
        listener(...args)
      } catch (error) {
        setTimeout(() => {
          throw error
        }, 0)
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear()
  }
}
