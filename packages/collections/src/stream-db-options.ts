import {
  isStateSchema,
  type CheckpointStorage,
  type LiveMode,
  type LiveSharing,
  type OnCallbackError,
  type StateMessageError,
  type StateSchema,
  type StreamSource,
} from "@durable-client/state"
import {
  describeValue,
  duration,
  invalidArgument,
  optionalString,
  resolveMaterializeOptions,
  type ResolvedMaterializeOptions,
} from "@durable-client/state/internal"
import { COLLECTIONS_DEFAULTS } from "./defaults"
import type { ActionDefinition, ActionDefinitions } from "./action-definitions"

export interface StreamDBOptions<S extends StateSchema, A extends ActionDefinitions<S>> extends StreamSource {
  /** The entity types (`createStateSchema`): one collection each. Required. */
  schema: S
  actions?: A
  /** Checkpoints: with storage, a restart reads only what came after the checkpoint. */
  storage?: CheckpointStorage
  /** @default the stream URL */
  storageKey?: string
  /** @default "auto" */
  live?: LiveMode
  /** One live connection for all tabs: `tabSharing()` from `@durable-client/collections/tab-sharing`. */
  shareAcrossTabs?: LiveSharing
  signal?: AbortSignal
  /** Producer id for writes. @default a random one */
  producerId?: string
  /** @default 30 000 ms */
  actionTimeoutMs?: number
  onInvalidMessage?: (error: StateMessageError) => void
  /**
   * Receives CALLBACK_FAILED when a function you gave throws outside an
   * action (a subscriber, a `where`, an `orderBy`, `onInvalidMessage`,
   * storage). The database carries on either way. Without it the error is
   * reported to the runtime as uncaught (`reportError`, or a timer).
   */
  onCallbackError?: OnCallbackError
}

export interface ResolvedStreamDBOptions<S extends StateSchema> {
  /** Reading: checked by the state layer's resolver, with the JSON handle resolved once. */
  view: ResolvedMaterializeOptions & { schema: S }
  actions: Array<[string, ActionDefinition<S, unknown>]>
  producerId: string | undefined
  actionTimeoutMs: number
}

/**
 * The one place `createStreamDB`'s options are checked and defaulted. Every
 * mistake is an INVALID_ARGUMENT naming the stream and the option, thrown
 * before any request.
 */
export function resolveStreamDBOptions<S extends StateSchema, A extends ActionDefinitions<S>>(
  given: StreamDBOptions<S, A>
): ResolvedStreamDBOptions<S> {
  const view = resolveMaterializeOptions(given, "createStreamDB")
  const url = view.json.url
  if (!isStateSchema(given.schema)) {
    throw invalidArgument(url, `createStreamDB needs schema: a state schema made by createStateSchema (got ${describeValue(given.schema)})`)
  }
  return {
    view: view as ResolvedMaterializeOptions & { schema: S },
    actions: resolveActions<S>(url, given.actions),
    producerId: optionalString(url, given.producerId, "producerId"),
    actionTimeoutMs: duration(url, given.actionTimeoutMs ?? COLLECTIONS_DEFAULTS.actionTimeoutMs, "actionTimeoutMs"),
  }
}

function resolveActions<S extends StateSchema>(url: string, actions: unknown): Array<[string, ActionDefinition<S, unknown>]> {
  if (actions === undefined) return []
  if (typeof actions !== "object" || actions === null || Array.isArray(actions)) {
    throw invalidArgument(url, `actions must be an object of action definitions (got ${describeValue(actions)})`)
  }
  return Object.entries(actions).map(([name, definition]: [string, unknown]) => {
    const action = definition as Partial<Record<keyof ActionDefinition<S, unknown>, unknown>> | null
    if (typeof action !== "object" || action === null) {
      throw invalidArgument(url, `actions.${name} must be an object with a write function (got ${describeValue(definition)})`)
    }
    if (typeof action.write !== "function") {
      throw invalidArgument(url, `actions.${name}.write must be a function (got ${describeValue(action.write)})`)
    }
    if (action.optimistic !== undefined && typeof action.optimistic !== "function") {
      throw invalidArgument(url, `actions.${name}.optimistic must be a function (got ${describeValue(action.optimistic)})`)
    }
    if (action.timeoutMs !== undefined) duration(url, action.timeoutMs, `actions.${name}.timeoutMs`)
    return [name, definition as ActionDefinition<S, unknown>]
  })
}
