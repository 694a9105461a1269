/**
 * Expectations: a map from a field (a dotted path into the result, or one
 * of the derived fields below) to an expected value or a matcher.
 *
 * Derived fields of adapter results:
 *   ok        the command succeeded (`success`)
 *   error     the error code, or a list of acceptable codes; implies ok: false
 *   message   the error message
 *   text      all read chunks joined and decoded as UTF-8
 *   base64    all read chunks joined, as base64
 *   messages  JSON stream messages: every chunk parsed as a JSON array, flattened
 *   byteLength, sha256   of the joined chunk bytes
 *   chunks    the number of chunks that carried data
 *
 * Matchers are objects whose keys start with `$`:
 *   $ne $in $gt $ge $lt $le $present $contains $matches $length $sameInstant
 *   $not $all (several matchers at once)
 * Numbers compare numerically; strings (offsets) compare as code-unit strings,
 * the order offsets are defined to sort in.
 */
import { createHash } from "node:crypto"
import { isDeepStrictEqual } from "node:util"

export type Expectation = Record<string, unknown>

export interface ResultLike {
  success?: boolean
  errorCode?: unknown
  message?: unknown
  chunks?: Array<{ data: string; binary?: boolean }>
  [field: string]: unknown
}

/** Returns the first mismatch as a sentence, or undefined when everything matched. */
export function checkExpectation(result: ResultLike, expect: Expectation): string | undefined {
  if ("error" in expect && !("ok" in expect) && result.success === true) {
    return `expected error ${describe(expect.error)}, but the command succeeded`
  }
  if (result.success === false && !("error" in expect) && !("ok" in expect) && Object.keys(expect).length > 0) {
    return `the command failed: ${String(result.errorCode)}${result.status === undefined ? "" : ` (status ${String(result.status)})`}: ${String(result.message)}`
  }
  for (const [field, expected] of Object.entries(expect)) {
    const problem = checkField(result, field, expected)
    if (problem) return problem
  }
  return undefined
}

function checkField(result: ResultLike, field: string, expected: unknown): string | undefined {
  switch (field) {
    case "ok": {
      const ok = result.success === true
      if (ok === expected) return undefined
      return ok
        ? `expected failure, but the command succeeded`
        : `expected success, got ${String(result.errorCode)}${result.status === undefined ? "" : ` (status ${String(result.status)})`}: ${String(result.message)}`
    }
    case "error": {
      if (result.success === true) return `expected error ${describe(expected)}, but the command succeeded`
      const codes = Array.isArray(expected) ? expected : [expected]
      if (codes.includes(result.errorCode)) return undefined
      return `expected error ${codes.join(" or ")}, got ${String(result.errorCode)}${result.status === undefined ? "" : ` (status ${String(result.status)})`}: ${String(result.message)}`
    }
  }
  let actual: unknown
  try {
    actual = derive(result, field)
  } catch (error) {
    return `${field}: ${error instanceof Error ? error.message : String(error)}`
  }
  const problem = match(actual, expected)
  return problem === undefined ? undefined : `${field}: ${problem}`
}

/** A result field as expectations and `save` see it, derived fields included. */
export function derive(result: ResultLike, field: string): unknown {
  if (field === "ok") return result.success === true
  const dot = field.indexOf(".")
  if (dot > 0 && DERIVED.has(field.slice(0, dot))) {
    return lookup(derive(result, field.slice(0, dot)), field.slice(dot + 1))
  }
  switch (field) {
    case "text":
      return joinedBytes(result).toString("utf8")
    case "base64":
      return joinedBytes(result).toString("base64")
    case "byteLength":
      return joinedBytes(result).length
    case "sha256":
      return createHash("sha256").update(joinedBytes(result)).digest("hex")
    case "messages":
      return jsonMessages(result)
    case "chunks":
      return (result.chunks ?? []).length
  }
  return lookup(result, field)
}

// "chunks" is left out: `chunks` alone is a count, `chunks.0.offset` a path.
const DERIVED = new Set(["text", "base64", "messages"])

function joinedBytes(result: ResultLike): Buffer {
  if (!Array.isArray(result.chunks)) throw new Error("result has no chunks")
  return Buffer.concat(
    result.chunks.map((chunk) =>
      chunk.binary ? Buffer.from(chunk.data, "base64") : Buffer.from(chunk.data, "utf8")
    )
  )
}

function jsonMessages(result: ResultLike): unknown[] {
  if (!Array.isArray(result.chunks)) throw new Error("result has no chunks")
  const out: unknown[] = []
  for (const chunk of result.chunks) {
    const text = chunk.binary ? Buffer.from(chunk.data, "base64").toString("utf8") : chunk.data
    const parsed: unknown = JSON.parse(text)
    if (!Array.isArray(parsed)) throw new Error(`chunk is not a JSON array: ${text.slice(0, 80)}`)
    out.push(...parsed)
  }
  return out
}

/**
 * Follows a dotted path. Object keys that are not found exactly are looked
 * up case-insensitively, so header maps match whatever case an adapter uses.
 */
export function lookup(value: unknown, path: string): unknown {
  let current = value
  for (const part of path.split(".")) {
    if (current === null || current === undefined) return undefined
    if (Array.isArray(current) && /^-?\d+$/.test(part)) {
      const index = Number(part)
      current = current[index < 0 ? current.length + index : index]
      continue
    }
    if (typeof current !== "object") return undefined
    const record = current as Record<string, unknown>
    if (part in record) {
      current = record[part]
      continue
    }
    const lower = part.toLowerCase()
    const key = Object.keys(record).find((k) => k.toLowerCase() === lower)
    current = key === undefined ? undefined : record[key]
  }
  return current
}

function isMatcher(value: unknown): value is Record<string, unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((key) => key.startsWith("$"))
  )
}

/** Compares one value; returns a description of the mismatch or undefined. */
export function match(actual: unknown, expected: unknown): string | undefined {
  if (!isMatcher(expected)) {
    return isDeepStrictEqual(actual, expected)
      ? undefined
      : `expected ${describe(expected)}, got ${describe(actual)}`
  }
  for (const [op, operand] of Object.entries(expected)) {
    const problem = applyOperator(op, actual, operand)
    if (problem) return problem
  }
  return undefined
}

function applyOperator(op: string, actual: unknown, operand: unknown): string | undefined {
  switch (op) {
    case "$ne":
      return isDeepStrictEqual(actual, operand) ? `expected anything but ${describe(operand)}` : undefined
    case "$in":
      return (operand as unknown[]).some((option) => match(actual, option) === undefined)
        ? undefined
        : `expected one of ${describe(operand)}, got ${describe(actual)}`
    case "$present": {
      const present = actual !== undefined && actual !== null && actual !== ""
      return present === operand ? undefined : `expected ${operand ? "a value" : "nothing"}, got ${describe(actual)}`
    }
    case "$gt":
    case "$ge":
    case "$lt":
    case "$le":
      return compare(op, actual, operand)
    case "$contains": {
      if (typeof actual === "string") {
        return actual.includes(String(operand)) ? undefined : `expected ${describe(actual)} to contain ${describe(operand)}`
      }
      if (Array.isArray(actual)) {
        return actual.some((item) => match(item, operand) === undefined)
          ? undefined
          : `expected a list containing ${describe(operand)}, got ${describe(actual)}`
      }
      return `expected a string or list, got ${describe(actual)}`
    }
    case "$matches":
      return typeof actual === "string" && new RegExp(String(operand)).test(actual)
        ? undefined
        : `expected ${describe(actual)} to match /${String(operand)}/`
    case "$length": {
      const length = typeof actual === "string" || Array.isArray(actual) ? actual.length : undefined
      if (length === undefined) return `expected something with a length, got ${describe(actual)}`
      const problem = match(length, operand)
      return problem === undefined ? undefined : `length ${problem}`
    }
    case "$sameInstant": {
      const a = typeof actual === "string" ? Date.parse(actual) : Number.NaN
      const b = Date.parse(String(operand))
      return Number.isFinite(a) && a === b ? undefined : `expected the instant ${String(operand)}, got ${describe(actual)}`
    }
    case "$not":
      return match(actual, operand) === undefined ? `expected not ${describe(operand)}, got ${describe(actual)}` : undefined
    case "$all": {
      for (const item of operand as unknown[]) {
        const problem = match(actual, item)
        if (problem) return problem
      }
      return undefined
    }
    default:
      return `unknown matcher ${op}`
  }
}

const NUMERIC = /^-?\d+(\.\d+)?$/

/**
 * Numbers, and strings of digits (counters, sequence numbers), compare as
 * numbers; other strings (offsets) compare as strings.
 */
function compare(op: string, actual: unknown, operand: unknown): string | undefined {
  const asNumber = (v: unknown): number | undefined =>
    typeof v === "number" ? v : typeof v === "string" && NUMERIC.test(v) ? Number(v) : undefined
  const numeric = asNumber(actual) !== undefined && asNumber(operand) !== undefined
  if (!numeric && (typeof actual !== "string" || typeof operand !== "string")) {
    return `cannot compare ${describe(actual)} with ${describe(operand)}`
  }
  const l = numeric ? asNumber(actual)! : (actual as string)
  const r = numeric ? asNumber(operand)! : (operand as string)
  const ok = op === "$gt" ? l > r : op === "$ge" ? l >= r : op === "$lt" ? l < r : l <= r
  const words = { $gt: ">", $ge: ">=", $lt: "<", $le: "<=" } as Record<string, string>
  return ok ? undefined : `expected ${describe(actual)} ${words[op]!} ${describe(operand)}`
}

export function describe(value: unknown): string {
  if (value === undefined) return "undefined"
  const text = JSON.stringify(value)
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}
