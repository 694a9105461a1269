import { controlOf, type RowSource } from "./collection-contract"
import { Listeners, type Store } from "./store"

/**
 * One row of a collection as a live value; notifies only when that row
 * changes. Like a query, it follows the collection only while it has
 * subscribers, and `current` is read from the collection otherwise.
 */
export class LiveRow<T> implements Store<T | undefined> {
  private value: T | undefined
  private readonly listeners: Listeners<T | undefined>
  private stop: (() => void) | undefined

  constructor(
    private readonly collection: RowSource<T>,
    readonly key: string
  ) {
    this.listeners = new Listeners((thrown) => controlOf(collection).report(`a subscriber of row ${key}`, thrown))
  }

  get current(): T | undefined {
    if (!this.stop) this.value = this.collection.get(this.key)
    return this.value
  }

  getSnapshot(): T | undefined {
    return this.current
  }

  /** The first subscriber starts following the collection; the last one to leave stops it. */
  subscribe(listener: (row: T | undefined) => void): () => void {
    if (!this.stop) this.attach()
    const remove = this.listeners.add(listener, this.value)
    return () => {
      remove()
      if (this.listeners.size === 0) this.detach()
    }
  }

  /** Drops every subscriber and stops following the collection (`current` still answers). */
  dispose(): void {
    this.listeners.clear()
    this.detach()
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

  private detach(): void {
    this.stop?.()
    this.stop = undefined
  }
}
