import { DurableStreamError, type StandardSchemaV1 } from "@durable-client/json"
import { isStandardSchema } from "@durable-client/json/internal"
import { isRfc3339DateTime } from "./message-validation"
import type { ChangeMessage } from "./messages"

/** One entity type of a State Protocol stream. */
export interface EntityDefinition<S extends StandardSchemaV1 = StandardSchemaV1> {
  /** The `type` discriminator written on the wire. */
  type: string
  /** Field of the value that is its key (stringified on the wire). */
  primaryKey: string
  /** Validates values of this type (sync or async Standard Schema). */
  schema: S
}

/** Entity definitions by collection name, the input of `createStateSchema`. */
export type StateSchemaDefinition = Record<string, EntityDefinition>

/** The value type of an entity, from its schema's output type. */
export type EntityValue<D extends EntityDefinition> = StandardSchemaV1.InferOutput<D["schema"]>

/** Optional headers of a change built by the schema helpers. */
export interface ChangeOptions {
  txid?: string
  /** RFC 3339 time, or a Date. */
  timestamp?: string | Date
}

/** Builders for one entity type: each returns a valid State Protocol change message. */
export interface EntityHelpers<D extends EntityDefinition = EntityDefinition> {
  /** Collection name in the schema (the object key). */
  readonly name: string
  readonly type: D["type"]
  readonly primaryKey: string
  readonly schema: D["schema"]
  /** The wire key of a value: its primary key field, as a string. */
  keyOf(value: EntityValue<D>): string
  insert(change: { value: EntityValue<D> } & ChangeOptions): ChangeMessage<EntityValue<D>>
  update(change: { value: EntityValue<D>; oldValue?: EntityValue<D> } & ChangeOptions): ChangeMessage<EntityValue<D>>
  /** Delete by `key`, or by `value` (its primary key is used). */
  delete(
    change: ({ key: string | number } | { value: EntityValue<D> }) & { oldValue?: EntityValue<D> } & ChangeOptions
  ): ChangeMessage<EntityValue<D>>
}

/** A State Protocol schema: per collection, helpers that build and validate its changes. */
export type StateSchema<Def extends StateSchemaDefinition = StateSchemaDefinition> = {
  readonly [K in keyof Def]: EntityHelpers<Def[K]>
}

/** Entity helpers by wire type, kept off the schema object so collection names are free. */
const byType = new WeakMap<object, Map<string, EntityHelpers>>()

/**
 * Declares the entity types of a stream. The result has one builder object
 * per collection (`schema.users.insert({ value })`) with value types inferred
 * from each Standard Schema.
 */
export function createStateSchema<const Def extends StateSchemaDefinition>(definition: Def): StateSchema<Def> {
  if (typeof definition !== "object" || definition === null) {
    throw invalidSchema("the definition must be an object of entity definitions")
  }
  const schema: Record<string, EntityHelpers> = {}
  const types = new Map<string, EntityHelpers>()
  for (const [name, entity] of Object.entries(definition)) {
    if (!entity || typeof entity.type !== "string" || entity.type === "") {
      throw invalidSchema(`${name}.type must be a non-empty string`)
    }
    if (typeof entity.primaryKey !== "string" || entity.primaryKey === "") {
      throw invalidSchema(`${name}.primaryKey must be a non-empty string`)
    }
    if (!isStandardSchema(entity.schema)) {
      throw invalidSchema(`${name}.schema must be a Standard Schema (Zod, Valibot, ArkType, …)`)
    }
    if (types.has(entity.type)) {
      throw invalidSchema(`${name} and ${types.get(entity.type)!.name} both use type ${JSON.stringify(entity.type)}`)
    }
    const helpers = entityHelpers(name, entity)
    schema[name] = helpers
    types.set(entity.type, helpers)
  }
  byType.set(schema, types)
  return schema as StateSchema<Def>
}

/** True for a schema made by `createStateSchema` (in this copy of the package). */
export function isStateSchema(value: unknown): value is StateSchema {
  return typeof value === "object" && value !== null && byType.has(value)
}

/** The helpers for a wire `type`, or undefined for a type the schema does not know. */
export function entityForType(schema: StateSchema, type: string): EntityHelpers | undefined {
  return byType.get(schema)?.get(type)
}

function entityHelpers(name: string, entity: EntityDefinition): EntityHelpers {
  const keyOf = (value: unknown): string => {
    const key = (value as Record<string, unknown> | null | undefined)?.[entity.primaryKey]
    if ((typeof key !== "string" || key === "") && typeof key !== "number") {
      throw new DurableStreamError(
        "INVALID_ARGUMENT",
        `Invalid ${name} value: its primary key ${JSON.stringify(entity.primaryKey)} must be a non-empty string or a number (got ${JSON.stringify(key)})`,
        { url: "" }
      )
    }
    return String(key)
  }
  const invalidChange = (what: string): DurableStreamError =>
    new DurableStreamError("INVALID_ARGUMENT", `Invalid ${name} change: ${what}`, { url: "" })
  const headers = (operation: "insert" | "update" | "delete", options: ChangeOptions) => {
    const out: ChangeMessage["headers"] = { operation }
    if (options.txid !== undefined) {
      if (typeof options.txid !== "string" || options.txid === "") throw invalidChange(`txid must be a non-empty string`)
      out.txid = options.txid
    }
    if (options.timestamp !== undefined) {
      const { timestamp } = options
      // toISOString throws on an invalid Date and writes years past 9999 as "+010000-…", which RFC 3339 cannot express.
      const text = timestamp instanceof Date && !Number.isNaN(timestamp.getTime()) ? timestamp.toISOString() : timestamp
      if (typeof text !== "string" || !isRfc3339DateTime(text)) {
        throw invalidChange(`timestamp must be an RFC 3339 date-time or a Date in years 0000-9999 (got ${String(timestamp)})`)
      }
      out.timestamp = text
    }
    return out
  }
  return {
    name,
    type: entity.type,
    primaryKey: entity.primaryKey,
    schema: entity.schema,
    keyOf,
    insert: (change) => ({
      type: entity.type,
      key: keyOf(change.value),
      value: change.value,
      headers: headers("insert", change),
    }),
    update: (change) => {
      const message: ChangeMessage = {
        type: entity.type,
        key: keyOf(change.value),
        value: change.value,
        headers: headers("update", change),
      }
      if (change.oldValue !== undefined) message.old_value = change.oldValue
      return message
    },
    delete: (change) => {
      const key = "key" in change ? String(change.key) : keyOf(change.value)
      if (key === "") throw invalidSchema(`${name}: delete needs a non-empty key`)
      const message: ChangeMessage = { type: entity.type, key, headers: headers("delete", change) }
      if (change.oldValue !== undefined) message.old_value = change.oldValue
      return message
    },
  }
}

function invalidSchema(what: string): DurableStreamError {
  return new DurableStreamError("INVALID_ARGUMENT", `Invalid state schema: ${what}`, { url: "" })
}
