import type { Collection } from "./collection"
import { Listeners, type Store } from "./store"

/** One row of a collection as a live value; notifies only when that row changes. */
export class LiveRow<T> implements Store<T | undefined> {
  private value: T | undefined
  private readonly listeners = new Listeners<T | undefined>()
  private stop: (() => void) | undefined

  constructor(
    private readonly collection: Collection<T>,
    readonly key: string
  ) {
    this.attach()
  }

  get current(): T | undefined {
    return this.value
  }

  getSnapshot(): T | undefined {
    return this.value
  }

  /** Subscribing to a disposed row revives it (React StrictMode unmounts and remounts). */
  subscribe(listener: (row: T | undefined) => void): () => void {
    if (!this.stop) this.attach()
    return this.listeners.add(listener, this.value)
  }

  /** Stops following the collection. */
  dispose(): void {
    this.stop?.()
    this.stop = undefined
    this.listeners.clear()
  }

  private attach(): void {
    this.value = this.collection.get(this.key)
    this.stop = this.collection.onKeysChanged((keys) => {
      if (!keys.includes(this.key)) return
      const next = this.collection.get(this.key)
      if (next === this.value) return
      this.value = next
      this.listeners.emit(next)
    })
  }
}
