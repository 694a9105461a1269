import { DurableStreamError } from "@durable-client/state"
import { DELETED, type Override } from "./collection-contract"

/**
 * Pure: optimistic changes as layers over the confirmed rows. An action's
 * `optimistic` step records a layer (apply); the layer goes when the stream
 * echoes its txid (confirm) or when its write fails or its echo times out
 * (roll back). What a key shows is always recomputed from the confirmed row
 * and the layers still pending, in order, so a layer rolled back from under
 * a later one leaves the later one applied to the new base. No I/O, no
 * timers: the StreamDB decides when each step happens and lays the result
 * over its collections.
 *
 * `C` identifies a collection (the StreamDB uses its `Collection` objects).
 */

/**
 * What one layer does to one key, given the row beneath it (confirmed row
 * with the earlier layers applied; undefined when absent). Kept as a step
 * rather than a value so that when a layer below rolls back or the
 * confirmed row changes, `update(key, change)` is re-applied to the new base.
 */
export type Mutation = (beneath: unknown) => Override | undefined

export interface Layer<C> {
  readonly txid: string
  readonly mutations: Map<C, Map<string, Mutation>>
}

/** The keys a step may have changed, per collection. */
export type AffectedKeys<C> = Map<C, Set<string>>

/** A key's visible value: `touched` when some layer has a say; `DELETED` when one deleted it. */
export interface Visible {
  touched: boolean
  value: Override | undefined
}

export class OptimisticLayers<C> {
  private _layers: Array<Layer<C>> = []

  /** Pending layers, oldest first. */
  get size(): number {
    return this._layers.length
  }

  /** A layer for an action; `draft()` fills it, `apply()` makes it visible. */
  createLayer(txid: string): Layer<C> {
    return { txid, mutations: new Map() }
  }

  /** Lays `layer` on top of the pending ones. */
  apply(layer: Layer<C>): AffectedKeys<C> {
    this._layers.push(layer)
    return keysOf(layer)
  }

  /** Confirmed changes arrived: the layers whose txid they echo are retired. Returns the keys those layers touched. */
  confirm(echoed: ReadonlySet<string>): AffectedKeys<C> {
    const affected: AffectedKeys<C> = new Map()
    if (echoed.size === 0 || this._layers.length === 0) return affected
    this._layers = this._layers.filter((layer) => {
      if (!echoed.has(layer.txid)) return true
      mergeKeys(affected, keysOf(layer))
      return false
    })
    return affected
  }

  /** The write failed, or its echo did not come in time: the layer goes, if still pending. */
  rollBack(layer: Layer<C>): AffectedKeys<C> {
    const at = this._layers.indexOf(layer)
    if (at === -1) return new Map()
    this._layers.splice(at, 1)
    return keysOf(layer)
  }

  /** What `key` shows: the confirmed row with every pending layer applied in order. */
  visible(collection: C, key: string, confirmed: unknown): Visible {
    let value: Override | undefined = confirmed
    let touched = false
    for (const layer of this._layers) {
      const mutation = layer.mutations.get(collection)?.get(key)
      if (mutation) {
        value = mutation(value === DELETED ? undefined : value)
        touched = true
      }
    }
    return { touched, value: touched && value === undefined ? DELETED : value }
  }
}

/** What `optimistic` may do to one collection; reads see earlier pending changes. */
export interface DraftCollection<T> {
  get(key: string): T | undefined
  insert(value: T): void
  /** Replace a row (the key comes from the value), or derive it from the current row. */
  update(value: T): void
  update(key: string, change: (current: T) => T): void
  delete(key: string): void
}

/** What a draft needs to know of a collection. */
export interface DraftTarget {
  readonly name: string
  readonly primaryKey: string
  /** The row as shown now (confirmed, with the pending layers). */
  get(key: string): unknown
}

/** The draft of one collection an action's `optimistic` writes into `layer`. */
export function draftCollection<C extends DraftTarget>(layer: Layer<C>, collection: C, url: string): DraftCollection<unknown> {
  const pending = (): Map<string, Mutation> => {
    let map = layer.mutations.get(collection)
    if (!map) {
      map = new Map()
      layer.mutations.set(collection, map)
    }
    return map
  }
  const keyOf = (value: unknown): string => {
    const key = (value as Record<string, unknown> | null)?.[collection.primaryKey]
    if ((typeof key !== "string" || key === "") && typeof key !== "number") {
      throw new DurableStreamError(
        "INVALID_ARGUMENT",
        `Invalid ${collection.name} row for stream ${url}: primary key ${collection.primaryKey} must be a non-empty string or a number`,
        { url }
      )
    }
    return String(key)
  }
  const get = (key: string): unknown => {
    const own = layer.mutations.get(collection)?.get(key)
    const value = own ? own(collection.get(key)) : collection.get(key)
    return value === DELETED ? undefined : value
  }
  return {
    get,
    insert: (value) => {
      pending().set(keyOf(value), () => value)
    },
    update: (keyOrValue: unknown, change?: (current: unknown) => unknown) => {
      if (typeof change !== "function") {
        const value = keyOrValue
        pending().set(keyOf(value), () => value)
        return
      }
      const key = String(keyOrValue)
      const current = get(key)
      if (current === undefined) return
      const earlier = layer.mutations.get(collection)?.get(key)
      // Run now so a throwing `change` fails the action before anything is shown;
      // re-run only when the row beneath is a different one (keeps identity).
      let lastBase = current
      let lastValue = change(current)
      pending().set(key, (beneath) => {
        const base = earlier ? earlier(beneath) : beneath
        if (base === undefined || base === DELETED) return base
        if (base !== lastBase) {
          try {
            lastValue = change(base)
          } catch {
            // Cannot be re-applied to the new row: leave it as it is beneath.
            lastValue = base
          }
          lastBase = base
        }
        return lastValue
      })
    },
    delete: (key) => {
      pending().set(String(key), () => DELETED)
    },
  }
}

/** Adds `key` of `collection` to `affected`. */
export function addKey<C>(affected: AffectedKeys<C>, collection: C, key: string): void {
  let keys = affected.get(collection)
  if (!keys) {
    keys = new Set()
    affected.set(collection, keys)
  }
  keys.add(key)
}

export function mergeKeys<C>(into: AffectedKeys<C>, from: AffectedKeys<C>): void {
  for (const [collection, keys] of from) for (const key of keys) addKey(into, collection, key)
}

function keysOf<C>(layer: Layer<C>): AffectedKeys<C> {
  const keys: AffectedKeys<C> = new Map()
  for (const [collection, mutations] of layer.mutations) keys.set(collection, new Set(mutations.keys()))
  return keys
}
