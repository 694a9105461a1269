import { DurableStreamError } from "@durable-client/state"
import { describeValue } from "@durable-client/state/internal"

/** Which rows a live query keeps: a predicate, or fields that must be equal (`{ done: false }`). */
export type Where<T> = ((row: T) => boolean) | Partial<T>

/** Sort direction of an `orderBy` field. */
export type SortDirection = "asc" | "desc"

/** A comparator, a field name (ascending), or fields with directions in priority order. */
export type OrderBy<T> =
  | ((a: T, b: T) => number)
  | (keyof T & string)
  | Partial<Record<keyof T & string, SortDirection>>

/** Filter, order and limit of a live query. */
export interface QueryOptions<T> {
  where?: Where<T>
  orderBy?: OrderBy<T>
  /** Keep only the first N rows (after ordering). */
  limit?: number
}

export function toPredicate<T>(where: Where<T> | undefined): ((row: T) => boolean) | undefined {
  if (where === undefined) return undefined
  if (typeof where === "function") return where
  const fields = Object.entries(where) as Array<[keyof T, unknown]>
  return (row) => {
    for (const [field, value] of fields) if (!Object.is(row[field], value)) return false
    return true
  }
}

export function toComparator<T>(orderBy: OrderBy<T> | undefined): ((a: T, b: T) => number) | undefined {
  if (orderBy === undefined) return undefined
  if (typeof orderBy === "function") return orderBy
  const fields: Array<[keyof T, number]> =
    typeof orderBy === "string"
      ? [[orderBy as keyof T, 1]]
      : (Object.entries(orderBy) as Array<[keyof T, SortDirection]>).map(([field, direction]) => [
          field,
          direction === "desc" ? -1 : 1,
        ])
  return (a, b) => {
    for (const [field, sign] of fields) {
      const x = a[field]
      const y = b[field]
      // Missing values go last whichever the direction.
      const xMissing = x === undefined || x === null
      const yMissing = y === undefined || y === null
      if (xMissing || yMissing) {
        if (xMissing && yMissing) continue
        return xMissing ? 1 : -1
      }
      const order = compareValues(x, y)
      if (order !== 0) return order * sign
    }
    return 0
  }
}

/** Orders numbers, strings, booleans and dates (missing values are handled by the caller). */
function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0
  const x = a instanceof Date ? a.getTime() : a
  const y = b instanceof Date ? b.getTime() : b
  if (typeof x === "string" && typeof y === "string") return x < y ? -1 : x > y ? 1 : 0
  return (x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0
}

export interface ResolvedQuery<T> {
  predicate: ((row: T) => boolean) | undefined
  comparator: ((a: T, b: T) => number) | undefined
  limit: number | undefined
}

/**
 * The one place a query's options are checked: a mistake is an
 * INVALID_ARGUMENT naming the collection, its stream and the option.
 */
export function resolveQuery<T>(collection: { name: string; url: string }, options: QueryOptions<T>): ResolvedQuery<T> {
  const invalid = (what: string): DurableStreamError =>
    new DurableStreamError("INVALID_ARGUMENT", `Invalid query on ${collection.name} of stream ${collection.url}: ${what}`, {
      url: collection.url,
    })
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw invalid(`options must be an object (got ${describeValue(options)})`)
  }
  const { where, orderBy, limit } = options
  if (where !== undefined && typeof where !== "function" && (typeof where !== "object" || where === null || Array.isArray(where))) {
    throw invalid(`where must be a predicate or an object of field values (got ${describeValue(where)})`)
  }
  if (
    orderBy !== undefined &&
    typeof orderBy !== "function" &&
    typeof orderBy !== "string" &&
    (typeof orderBy !== "object" || orderBy === null || Array.isArray(orderBy))
  ) {
    throw invalid(`orderBy must be a comparator, a field name or { field: "asc" | "desc" } (got ${describeValue(orderBy)})`)
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw invalid(`limit must be a whole number >= 0 (got ${String(limit)})`)
  }
  return { predicate: toPredicate(where), comparator: toComparator(orderBy), limit }
}
