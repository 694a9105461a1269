import type { Collection } from "./collection"
import { Listeners, type Store } from "./store"

/** One row of a collection as a live value; notifies only when that row changes. */
export class LiveRow<T> implements Store<T | undefined> {
  private value: T | undefined
  private readonly listeners = new Listeners<T | undefined>()
  private readonly stop: () => void

  constructor(
    private readonly collection: Collection<T>,
    readonly key: string
  ) {
    this.value = collection.get(key)
    this.stop = collection.onKeysChanged((keys) => {
      if (!keys.includes(this.key)) return
      const next = this.collection.get(this.key)
      if (next === this.value) return
      this.value = next
      this.listeners.emit(next)
    })
  }

  get current(): T | undefined {
    return this.value
  }

  getSnapshot(): T | undefined {
    return this.value
  }

  subscribe(listener: (row: T | undefined) => void): () => void {
    return this.listeners.add(listener, this.value)
  }

  /** Stops following the collection. */
  dispose(): void {
    this.stop()
    this.listeners.clear()
  }
}
