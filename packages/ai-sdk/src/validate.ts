import { type HeadersRecord, type LiveMode, type ParamsRecord } from "@durable-client/json"
import { invalidArgument } from "@durable-client/json/internal"

/**
 * Option checks shared by the transport and the server helper. Each failure is
 * a DurableStreamError INVALID_ARGUMENT naming the option, thrown before any
 * request is sent. `where` is the URL (or route) the options belong to.
 */

export function describe(value: unknown): string {
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  if (typeof value === "string") return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`
  if (typeof value === "function") return "a function"
  if (typeof value === "object") return "an object"
  return `${typeof value} ${String(value)}`
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

export function optionsObject<T>(where: string, value: T | undefined, name: string): Partial<T> {
  if (value === undefined) return {}
  if (!isPlainObject(value)) throw invalidArgument(where, `${name} must be an object (got ${describe(value)})`)
  return value as Partial<T>
}

export function optionalFunction<F>(where: string, value: unknown, name: string): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== "function") throw invalidArgument(where, `${name} must be a function (got ${describe(value)})`)
  return value as F
}

export function optionalString(where: string, value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== "string" || value === "") {
    throw invalidArgument(where, `${name} must be a non-empty string (got ${describe(value)})`)
  }
  return value
}

// RFC 9110 field-name token; values must not smuggle a line break or NUL.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const FORBIDDEN_VALUE = /[\r\n\0]/

/**
 * A record of strings or functions (run per request), as the byte layer
 * takes them. Static strings are checked here; function results are checked
 * by the byte layer on each request.
 */
export function valueRecord<R extends HeadersRecord | ParamsRecord>(
  where: string,
  value: unknown,
  name: "headers" | "params"
): R | undefined {
  if (value === undefined) return undefined
  if (!isPlainObject(value)) throw invalidArgument(where, `${name} must be an object of strings or functions (got ${describe(value)})`)
  for (const [key, entry] of Object.entries(value)) {
    if (name === "headers" && !HEADER_NAME.test(key)) throw invalidArgument(where, `headers has an invalid header name "${key}"`)
    if (entry === undefined || typeof entry === "function") continue
    if (typeof entry !== "string") {
      throw invalidArgument(where, `${name}.${key} must be a string or a function (got ${describe(entry)})`)
    }
    if (FORBIDDEN_VALUE.test(entry)) throw invalidArgument(where, `${name}.${key} must not contain CR, LF or NUL`)
  }
  return value as R
}

const LIVE_MODES: readonly unknown[] = ["long-poll", "sse", "auto"]

export function liveMode(where: string, value: unknown): Exclude<LiveMode, false> | undefined {
  if (value === undefined) return undefined
  if (!LIVE_MODES.includes(value)) {
    throw invalidArgument(where, `live must be "auto", "sse" or "long-poll" (got ${describe(value)})`)
  }
  return value as Exclude<LiveMode, false>
}

/** setTimeout's ceiling: anything longer fires at once in every runtime. */
const MAX_TIMER_MS = 2 ** 31 - 1

export function timeoutsObject<T extends object>(where: string, value: T | undefined): T | undefined {
  if (value === undefined) return undefined
  const given = optionsObject(where, value, "timeouts") as Record<string, unknown>
  for (const [key, entry] of Object.entries(given)) {
    if (entry === undefined) continue
    if (typeof entry !== "number" || !Number.isFinite(entry) || entry <= 0 || entry > MAX_TIMER_MS) {
      throw invalidArgument(where, `timeouts.${key} must be a positive number of milliseconds up to ${MAX_TIMER_MS} (got ${describe(entry)})`)
    }
  }
  return value
}
