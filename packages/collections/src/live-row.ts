import { controlOf, type RowSource } from "./collection-contract"
import { Listeners, type Store } from "./store"

/**
 * One row of a collection as a live value; notifies only when that row
 * changes. Like a query, it follows the collection only while it has
 * subscribers, and `current` is read from the collection otherwise.
 */
export class LiveRow<T> implements Store<T | undefined> {
  private _value: T | undefined
  private readonly _listeners: Listeners<T | undefined>
  private _stop: (() => void) | undefined

  constructor(
    private readonly _collection: RowSource<T>,
    readonly key: string
  ) {
    this._listeners = new Listeners((thrown) => controlOf(_collection).report(`a subscriber of row ${key}`, thrown))
  }

  get current(): T | undefined {
    if (!this._stop) this._value = this._collection.get(this.key)
    return this._value
  }

  getSnapshot(): T | undefined {
    return this.current
  }

  /** The first subscriber starts following the collection; the last one to leave stops it. */
  subscribe(listener: (row: T | undefined) => void): () => void {
    if (!this._stop) this._attach()
    const remove = this._listeners.add(listener, this._value)
    return () => {
      remove()
      if (this._listeners.size === 0) this._detach()
    }
  }

  /** Drops every subscriber and stops following the collection (`current` still answers). */
  dispose(): void {
    this._listeners.clear()
    this._detach()
  }

  private _attach(): void {
    this._value = this._collection.get(this.key)
    this._stop = this._collection.onKeysChanged((keys) => {
      if (!keys.includes(this.key)) return
      const next = this._collection.get(this.key)
      if (next === this._value) return
      this._value = next
      this._listeners.emit(next)
    })
  }

  private _detach(): void {
    this._stop?.()
    this._stop = undefined
  }
}
