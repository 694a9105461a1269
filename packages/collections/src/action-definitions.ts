import type { ChangeMessage, EntityHelpers, EntityValue, StateSchema } from "@durable-client/state"
import type { DraftCollection } from "./optimistic-layers"

/** Row type of a collection in a state schema. */
export type RowOf<H> = H extends EntityHelpers<infer D> ? EntityValue<D> : never

/** Writable collections an optimistic action changes, one per entity type. */
export type Draft<S extends StateSchema> = { readonly [K in keyof S]: DraftCollection<RowOf<S[K]>> }

/** What an action's `write` receives besides its arguments. */
export interface ActionContext<S extends StateSchema> {
  /** Stamped on the changes written; the action settles when the stream echoes it. */
  txid: string
  schema: S
}

/** One optimistic action: a local change shown at once, and the changes it writes. */
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
/** The actions of a `StreamDB`, by name. */
export type ActionDefinitions<S extends StateSchema> = Record<string, ActionDefinition<S, any>>

/** What a settled action resolves with. */
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
