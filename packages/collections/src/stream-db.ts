import {
  DurableStreamError,
  StateWriter,
  createTxid,
  materialize,
  type Change,
  type ChangeMessage,
  type EntityHelpers,
  type JsonStream,
  type Materializer,
  type SessionStatus,
  type StateSchema,
} from "@durable-client/state"
import type { ActionDefinition, ActionDefinitions, ActionFunctions, ActionResult, Draft, RowOf } from "./action-definitions"
import { Collection } from "./collection"
import { controlOf } from "./collection-contract"
import { COLLECTIONS_DEFAULTS } from "./defaults"
import {
  OptimisticLayers,
  addKey,
  draftCollection,
  mergeKeys,
  type AffectedKeys,
  type DraftCollection,
  type Layer,
} from "./optimistic-layers"
import { resolveStreamDBOptions, type ResolvedStreamDBOptions, type StreamDBOptions } from "./stream-db-options"

export type { StreamDBOptions } from "./stream-db-options"
export type {
  ActionContext,
  ActionDefinition,
  ActionDefinitions,
  ActionFunctions,
  ActionResult,
  Draft,
  RowOf,
} from "./action-definitions"
export type { DraftCollection } from "./optimistic-layers"

/** The collections of a `StreamDB`, one per entity type of its schema. */
export type Collections<S extends StateSchema> = { readonly [K in keyof S]: Collection<RowOf<S[K]>> }

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
  private readonly _json: JsonStream
  private readonly _options: ResolvedStreamDBOptions<S>
  private readonly _byType = new Map<string, Collection<unknown>>()
  private readonly _layers = new OptimisticLayers<Collection<unknown>>()
  private _writer: StateWriter | undefined
  private readonly _stopObserving: () => void
  private _closed = false

  constructor(given: StreamDBOptions<S, A>) {
    this._options = resolveStreamDBOptions(given)
    const view = this._options.view
    this._json = view.json
    this.url = this._json.url
    // The handle resolved above, as is: every setting it was made with applies to reads and writes.
    this.materializer = materialize({
      stream: this._json,
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
      this._byType.set(helpers.type, collection)
    }
    this.collections = collections as Collections<S>
    this._stopObserving = this.materializer.subscribe((changes) => this._onConfirmed(changes))
    const actions: Record<string, (args: unknown) => Promise<ActionResult>> = {}
    for (const [name, definition] of this._options.actions) {
      actions[name] = (args) => this._runAction(name, definition, args)
    }
    this.actions = actions as ActionFunctions<A>
    this.ready = this.materializer.ready
    const signal = view.signal
    if (signal) {
      if (signal.aborted) void this.dispose()
      else signal.addEventListener("abort", () => void this.dispose(), { once: true })
    }
  }

  get status(): SessionStatus {
    return this.materializer.status
  }

  /** Waits until caught up (same as `ready`). */
  preload(): Promise<void> {
    return this.ready
  }

  /**
   * Stops reading, flushes writes in flight, and releases every listener and
   * timer. The stream itself is untouched (`close` ends a stream on the
   * server; see the root README's verb table).
   */
  dispose(): Promise<void> {
    return this._stop()
  }

  /** @deprecated Use `dispose()`: `close()` ends the stream on the server in every other layer. */
  close(): Promise<void> {
    return this._stop()
  }

  private async _stop(): Promise<void> {
    if (this._closed) return
    this._closed = true
    this._stopObserving()
    await this.materializer.dispose()
    await this._writer?.detach().catch(() => undefined)
    for (const collection of this._byType.values()) controlOf(collection).release()
  }

  private async _runAction(name: string, definition: ActionDefinition<S, unknown>, args: unknown): Promise<ActionResult> {
    if (this._closed) {
      throw new DurableStreamError("ABORTED", `StreamDB for ${this.url} is closed; action ${name} not run`, { url: this.url })
    }
    const txid = createTxid()
    const layer = this._layers.createLayer(txid)
    if (definition.optimistic) {
      definition.optimistic(this._draft(layer), args)
      this._refresh(this._layers.apply(layer))
    }
    try {
      const changes = await definition.write(args, { txid, schema: this._options.view.schema })
      const list = (changes === undefined ? [] : Array.isArray(changes) ? changes : [changes]) as ChangeMessage[]
      // Nothing to write means nothing to confirm: the action is done (and its layer dropped).
      if (changes !== undefined && list.length === 0) return { txid }
      if (list.length > 0) {
        // The action's txid must be on every change, or its echo could never be recognised.
        const stamped = list.map((change) => ({ ...change, headers: { ...change.headers, txid } }))
        // A handle given without a content type learns it (and that it is JSON) before the first
        // write: the producer sends it with every batch, and a guess could be refused by the server.
        if (!this._writer && this._json.stream.contentType === undefined) await this._json.head()
        this._writer ??= new StateWriter(this._json, {
          producerId: this._options.producerId,
          schema: this._options.view.schema,
          lingerMs: COLLECTIONS_DEFAULTS.writerLingerMs,
        })
        await this._writer.write(stamped, { txid })
      }
      await this.materializer.awaitTxid(txid, {
        timeoutMs: definition.timeoutMs ?? this._options.actionTimeoutMs,
      })
      return { txid }
    } finally {
      // Confirmed: the echo already retired the layer. Failed or timed out: this rolls it back.
      this._refresh(this._layers.rollBack(layer))
    }
  }

  private _draft(layer: Layer<Collection<unknown>>): Draft<S> {
    const draft: Record<string, DraftCollection<unknown>> = {}
    for (const collection of this._byType.values()) draft[collection.name] = draftCollection(layer, collection, this.url)
    return draft as Draft<S>
  }

  /** Confirmed changes arrived: layers whose txid came back are retired in the same step. */
  private _onConfirmed(changes: readonly Change[]): void {
    const affected: AffectedKeys<Collection<unknown>> = new Map()
    const echoed = new Set<string>()
    for (const change of changes) {
      const collection = this._byType.get(change.type)
      if (collection) addKey(affected, collection, change.key)
      if (change.txid !== undefined) echoed.add(change.txid)
    }
    mergeKeys(affected, this._layers.confirm(echoed))
    this._refresh(affected)
  }

  /**
   * Lays the visible value of each affected key (confirmed row and pending
   * layers) over its collection, then notifies each collection once.
   */
  private _refresh(affected: AffectedKeys<Collection<unknown>>): void {
    for (const [collection, keys] of affected) {
      const control = controlOf(collection)
      for (const key of keys) {
        const shown = this._layers.visible(collection, key, this.materializer.state.get(collection.type, key))
        control.setOverride(key, shown.touched ? shown.value : undefined)
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
