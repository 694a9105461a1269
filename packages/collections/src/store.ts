/**
 * The one reactive contract every live value here implements. It is the
 * Svelte store contract (`subscribe` calls the listener at once with the
 * current value, then on each change) plus `getSnapshot`, which is what
 * React's `useSyncExternalStore` needs; Solid's `from()`, Vue refs and
 * RxJS-style code can use `subscribe` directly. Snapshots are immutable:
 * a new value means a new reference, an unchanged one keeps its identity.
 */
export interface Store<T> {
  subscribe(listener: (value: T) => void): () => void
  getSnapshot(): T
}

/**
 * Listener bookkeeping shared by every store. Each listener is called on its
 * own: one that throws is handed to `onListenerError` and the others still
 * hear the value, so an app bug in one component cannot freeze another.
 */
export class Listeners<T> {
  private readonly _listeners = new Set<(value: T) => void>()

  constructor(private readonly _onListenerError: (thrown: unknown) => void) {}

  get size(): number {
    return this._listeners.size
  }

  add(listener: (value: T) => void, current: T): () => void {
    this._listeners.add(listener)
    this._call(listener, current)
    return () => {
      this._listeners.delete(listener)
    }
  }

  emit(value: T): void {
    for (const listener of [...this._listeners]) this._call(listener, value)
  }

  clear(): void {
    this._listeners.clear()
  }

  private _call(listener: (value: T) => void, value: T): void {
    try {
      listener(value)
    } catch (thrown) {
      this._onListenerError(thrown)
    }
  }
}
