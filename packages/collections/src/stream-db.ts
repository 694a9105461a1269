import {
  DurableStreamError,
  StateWriter,
  createTxid,
  materialize,
  type Change,
  type ChangeMessage,
  type EntityHelpers,
  type EntityValue,
  type JsonStream,
  type Materializer,
  type SessionStatus,
  type StateSchema,
} from "@durable-client/state"
import { Collection, DELETED, controlOf, type Override } from "./collection"
import { COLLECTIONS_DEFAULTS } from "./defaults"
import { resolveStreamDBOptions, type ResolvedStreamDBOptions, type StreamDBOptions } from "./stream-db-options"

export type { StreamDBOptions } from "./stream-db-options"

/** Row type of a collection in a state schema. */
export type RowOf<H> = H extends EntityHelpers<infer D> ? EntityValue<D> : never

export type Collections<S extends StateSchema> = { readonly [K in keyof S]: Collection<RowOf<S[K]>> }

/** What `optimistic` may do to one collection; reads see earlier pending changes. */
export interface DraftCollection<T> {
  get(key: string): T | undefined
  insert(value: T): void
  /** Replace a row (the key comes from the value), or derive it from the current row. */
  update(value: T): void
  update(key: string, change: (current: T) => T): void
  delete(key: string): void
}

export type Draft<S extends StateSchema> = { readonly [K in keyof S]: DraftCollection<RowOf<S[K]>> }

export interface ActionContext<S extends StateSchema> {
  /** Stamped on the changes written; the action settles when the stream echoes it. */
  txid: string
  schema: S
}

export interface ActionDefinition<S extends StateSchema, Args> {
  /** Applied at once, on top of confirmed rows, until the write is echoed or fails. */
  optimistic?: (draft: Draft<S>, args: Args) => void
  /**
   * Returns the State Protocol changes to write (sent exactly once through
   * the IdempotentProducer with the txid), or writes them some other way
   * (e.g. a server endpoint) stamping `ctx.txid`, and returns nothing.
   */
  write: (
    args: Args,
    context: ActionContext<S>
  ) => ChangeMessage | readonly ChangeMessage[] | void | Promise<ChangeMessage | readonly ChangeMessage[] | void>
  /** Give up and roll back if the echo has not arrived by then. Default: the DB's `actionTimeoutMs`. */
  timeoutMs?: number
}

// `any` here only lets each action declare its own argument type; it is inferred per action below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActionDefinitions<S extends StateSchema> = Record<string, ActionDefinition<S, any>>

export interface ActionResult {
  txid: string
}

/** One function per action; none when the actions are not known by name (no `actions` given). */
export type ActionFunctions<A> = string extends keyof A
  ? Record<never, never>
  : {
      readonly [K in keyof A]: A[K] extends { write: (args: infer Args, ...rest: never[]) => unknown }
        ? (args: Args) => Promise<ActionResult>
        : never
    }

/**
 * What one layer does to one key, given the row beneath it (confirmed row
 * with the earlier layers applied; undefined when absent). Kept as a step
 * rather than a value so that when a layer below rolls back or the
 * confirmed row changes, `update(key, change)` is re-applied to the new base.
 */
type Mutation = (beneath: unknown) => Override | undefined

interface Layer {
  txid: string
  mutations: Map<Collection<unknown>, Map<string, Mutation>>
}

/**
 * A typed, live, local view of a State Protocol stream: one reactive
 * collection per entity type, optimistic actions that reconcile with the
 * stream, and optional persistence.
 */
// The default for A must stay ActionDefinitions<S>: TypeScript types an inline action's
// callbacks (draft, context) from it while A itself is still being inferred.
export class StreamDB<S extends StateSchema, A extends ActionDefinitions<S> = ActionDefinitions<S>> {
  readonly collections: Collections<S>
  readonly actions: ActionFunctions<A>
  readonly materializer: Materializer
  /** Resolves once the view has caught up with the stream. */
  readonly ready: Promise<void>
  readonly url: string
  private readonly json: JsonStream
  private readonly options: ResolvedStreamDBOptions<S>
  private readonly byType = new Map<string, Collection<unknown>>()
  private layers: Layer[] = []
  private writer: StateWriter | undefined
  private readonly stopObserving: () => void
  private closed = false

  constructor(given: StreamDBOptions<S, A>) {
    this.options = resolveStreamDBOptions(given)
    const view = this.options.view
    this.json = view.json
    this.url = this.json.url
    // The handle resolved above, as is: every setting it was made with applies to reads and writes.
    this.materializer = materialize({
      stream: this.json,
      schema: view.schema,
      offset: view.offset,
      storage: view.storage,
      storageKey: view.storageKey,
      checkpointIntervalMs: view.checkpointIntervalMs,
      live: view.live,
      shareAcrossTabs: view.shareAcrossTabs,
      onInvalidMessage: view.onInvalidMessage,
      onCallbackError: view.onCallbackError,
    })
    const collections: Record<string, Collection<unknown>> = {}
    for (const [name, helpers] of Object.entries(view.schema as Record<string, EntityHelpers>)) {
      const collection = new Collection<unknown>(
        name,
        helpers.type,
        helpers.primaryKey,
        this.materializer.state,
        this.url,
        view.onCallbackError
      )
      collections[name] = collection
      this.byType.set(helpers.type, collection)
    }
    this.collections = collections as Collections<S>
    this.stopObserving = this.materializer.subscribe((changes) => this.onConfirmed(changes))
    const actions: Record<string, (args: unknown) => Promise<ActionResult>> = {}
    for (const [name, definition] of this.options.actions) {
      actions[name] = (args) => this.runAction(name, definition, args)
    }
    this.actions = actions as ActionFunctions<A>
    this.ready = this.materializer.ready
    const signal = view.signal
    if (signal) {
      if (signal.aborted) void this.close()
      else signal.addEventListener("abort", () => void this.close(), { once: true })
    }
  }

  get status(): SessionStatus {
    return this.materializer.status
  }

  /** Waits until caught up (same as `ready`). */
  preload(): Promise<void> {
    return this.ready
  }

  /** Stops reading, flushes writes in flight, and releases every listener and timer. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.stopObserving()
    await this.materializer.close()
    await this.writer?.detach().catch(() => undefined)
    for (const collection of this.byType.values()) controlOf(collection).release()
  }

  private async runAction(name: string, definition: ActionDefinition<S, unknown>, args: unknown): Promise<ActionResult> {
    if (this.closed) {
      throw new DurableStreamError("ABORTED", `StreamDB for ${this.url} is closed; action ${name} not run`, { url: this.url })
    }
    const txid = createTxid()
    const layer: Layer = { txid, mutations: new Map() }
    if (definition.optimistic) {
      definition.optimistic(this.draft(layer), args)
      this.layers.push(layer)
      this.refresh(keysOf(layer))
    }
    try {
      const changes = await definition.write(args, { txid, schema: this.options.view.schema })
      const list = (changes === undefined ? [] : Array.isArray(changes) ? changes : [changes]) as ChangeMessage[]
      // Nothing to write means nothing to confirm: the action is done (and its layer dropped).
      if (changes !== undefined && list.length === 0) return { txid }
      if (list.length > 0) {
        // The action's txid must be on every change, or its echo could never be recognised.
        const stamped = list.map((change) => ({ ...change, headers: { ...change.headers, txid } }))
        // A handle given without a content type learns it (and that it is JSON) before the first
        // write: the producer sends it with every batch, and a guess could be refused by the server.
        if (!this.writer && this.json.stream.contentType === undefined) await this.json.head()
        this.writer ??= new StateWriter(this.json, {
          producerId: this.options.producerId,
          schema: this.options.view.schema,
          lingerMs: COLLECTIONS_DEFAULTS.writerLingerMs,
        })
        await this.writer.write(stamped, { txid })
      }
      await this.materializer.awaitTxid(txid, {
        timeoutMs: definition.timeoutMs ?? this.options.actionTimeoutMs,
      })
      return { txid }
    } finally {
      // Confirmed: the echo already replaced the layer. Failed: this rolls it back.
      this.dropLayer(layer)
    }
  }

  private draft(layer: Layer): Draft<S> {
    const draft: Record<string, DraftCollection<unknown>> = {}
    for (const collection of this.byType.values()) {
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
            `Invalid ${collection.name} row for stream ${this.url}: primary key ${collection.primaryKey} must be a non-empty string or a number`,
            { url: this.url }
          )
        }
        return String(key)
      }
      const get = (key: string): unknown => {
        const own = layer.mutations.get(collection)?.get(key)
        const value = own ? own(collection.get(key)) : collection.get(key)
        return value === DELETED ? undefined : value
      }
      draft[collection.name] = {
        get,
        insert: (value) => {
          pending().set(keyOf(value), () => value)
        },
        update: (keyOrValue: unknown, change?: (current: unknown) => unknown) => {
          if (typeof change === "function") {
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
          } else {
            const value = keyOrValue
            pending().set(keyOf(value), () => value)
          }
        },
        delete: (key) => {
          pending().set(String(key), () => DELETED)
        },
      }
    }
    return draft as Draft<S>
  }

  /** Confirmed changes arrived: layers whose txid came back are retired in the same step. */
  private onConfirmed(changes: readonly Change[]): void {
    const affected = new Map<Collection<unknown>, Set<string>>()
    const echoed = new Set<string>()
    for (const change of changes) {
      const collection = this.byType.get(change.type)
      if (collection) addKey(affected, collection, change.key)
      if (change.txid !== undefined) echoed.add(change.txid)
    }
    if (echoed.size > 0 && this.layers.length > 0) {
      const remaining: Layer[] = []
      for (const layer of this.layers) {
        if (echoed.has(layer.txid)) mergeKeys(affected, keysOf(layer))
        else remaining.push(layer)
      }
      this.layers = remaining
    }
    this.refresh(affected)
  }

  private dropLayer(layer: Layer): void {
    const at = this.layers.indexOf(layer)
    if (at === -1) return
    this.layers.splice(at, 1)
    this.refresh(keysOf(layer))
  }

  /**
   * Recomputes the visible value of each affected key from the confirmed row
   * and the remaining layers in order, then notifies each collection once.
   */
  private refresh(affected: Map<Collection<unknown>, Set<string>>): void {
    for (const [collection, keys] of affected) {
      for (const key of keys) {
        let value: Override | undefined = this.materializer.state.get(collection.type, key)
        let touched = false
        for (const layer of this.layers) {
          const mutation = layer.mutations.get(collection)?.get(key)
          if (mutation) {
            value = mutation(value === DELETED ? undefined : value)
            touched = true
          }
        }
        controlOf(collection).setOverride(key, touched ? (value === undefined ? DELETED : value) : undefined)
      }
    }
    for (const [collection, keys] of affected) controlOf(collection).notifyKeysChanged([...keys])
  }
}

/** Opens a StreamDB; `db.ready` resolves once it has caught up. */
export function createStreamDB<S extends StateSchema, A extends ActionDefinitions<S> = ActionDefinitions<S>>(
  options: StreamDBOptions<S, A>
): StreamDB<S, A> {
  return new StreamDB(options)
}

function keysOf(layer: Layer): Map<Collection<unknown>, Set<string>> {
  const keys = new Map<Collection<unknown>, Set<string>>()
  for (const [collection, mutations] of layer.mutations) keys.set(collection, new Set(mutations.keys()))
  return keys
}

function addKey(map: Map<Collection<unknown>, Set<string>>, collection: Collection<unknown>, key: string): void {
  let keys = map.get(collection)
  if (!keys) {
    keys = new Set()
    map.set(collection, keys)
  }
  keys.add(key)
}

function mergeKeys(into: Map<Collection<unknown>, Set<string>>, from: Map<Collection<unknown>, Set<string>>): void {
  for (const [collection, keys] of from) for (const key of keys) addKey(into, collection, key)
}
