import { invalidArgument, type StreamOperation } from "./errors"
import { MAX_TIMER_MS } from "./defaults"

/**
 * Checks for what callers pass in. Each throws INVALID_ARGUMENT naming the
 * stream URL and the option, so a mistake surfaces before any request and
 * says where to look. Values are described, never quoted when they may be
 * secrets (header values).
 */

export function describeValue(value: unknown): string {
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  if (typeof value === "object") return value.constructor?.name ?? "object"
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (typeof value === "string") return value.length > 40 ? "a long string" : JSON.stringify(value)
  return typeof value
}

/** An options bag: `undefined` means "all defaults"; anything but a plain object is a mistake. */
export function optionsObject<T extends object>(
  url: string,
  value: T | undefined,
  field: string,
  operation?: StreamOperation
): Partial<T> {
  if (value === undefined) return {}
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidArgument(url, `${field} must be an object (got ${describeValue(value)})`, operation)
  }
  return value
}

/** A duration in ms a timer can honour: finite, within `min`, and at most 2^31 - 1. */
export function duration(
  url: string,
  value: unknown,
  field: string,
  options: { min?: number; operation?: StreamOperation } = {}
): number {
  const min = options.min ?? 1
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw invalidArgument(
      url,
      `${field} must be a number of milliseconds from ${min} to ${MAX_TIMER_MS} (got ${describeValue(value)})`,
      options.operation
    )
  }
  return value
}

/** A whole number in [min, max]. */
export function wholeNumber(
  url: string,
  value: unknown,
  field: string,
  options: { min?: number; max?: number; operation?: StreamOperation } = {}
): number {
  const min = options.min ?? 0
  const max = options.max ?? Number.MAX_SAFE_INTEGER
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalidArgument(
      url,
      `${field} must be a whole number from ${min} to ${max} (got ${describeValue(value)})`,
      options.operation
    )
  }
  return value
}

export function optionalFunction<F extends (...args: never[]) => unknown>(
  url: string,
  value: unknown,
  field: string,
  operation?: StreamOperation
): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== "function") {
    throw invalidArgument(url, `${field} must be a function (got ${describeValue(value)})`, operation)
  }
  return value as F
}

export function optionalBoolean(
  url: string,
  value: unknown,
  field: string,
  operation?: StreamOperation
): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value
  throw invalidArgument(url, `${field} must be true or false (got ${describeValue(value)})`, operation)
}

export function optionalString(
  url: string,
  value: unknown,
  field: string,
  operation?: StreamOperation
): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== "string" || value === "") {
    throw invalidArgument(url, `${field} must be a non-empty string (got ${describeValue(value)})`, operation)
  }
  return value
}

/**
 * An AbortSignal, duck-typed so signals from other realms and polyfills
 * pass. An AbortController passed by mistake is the common slip: say so.
 */
export function optionalSignal(
  url: string,
  value: unknown,
  field: string,
  operation?: StreamOperation
): AbortSignal | undefined {
  if (value === undefined) return undefined
  const candidate = value as Partial<AbortSignal> & { signal?: unknown; abort?: unknown }
  if (
    typeof value === "object" &&
    value !== null &&
    typeof candidate.aborted === "boolean" &&
    typeof candidate.addEventListener === "function" &&
    typeof candidate.removeEventListener === "function"
  ) {
    return value as AbortSignal
  }
  const hint =
    typeof value === "object" && value !== null && typeof candidate.abort === "function" && candidate.signal
      ? " — pass controller.signal, not the controller"
      : ""
  throw invalidArgument(url, `${field} must be an AbortSignal (got ${describeValue(value)})${hint}`, operation)
}

// RFC 9110 token characters for header names.
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Field values: no CR, LF or NUL (they would split or end the header), and no other control characters except tab.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const BAD_HEADER_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/

export function isValidHeaderName(name: string): boolean {
  return HEADER_NAME.test(name)
}

/** Only ISO-8859-1 without control characters can go on the wire; fetch throws (quoting the value) otherwise. */
export function isValidHeaderValue(value: string): boolean {
  if (BAD_HEADER_VALUE.test(value)) return false
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return false
  return true
}

/** Why a header value cannot be sent, without quoting it: it may be a token. */
export function headerValueProblem(name: string, value: unknown): string | undefined {
  if (typeof value !== "string") return `header ${name} must be a string (got ${describeValue(value)})`
  if (!isValidHeaderValue(value)) {
    return `header ${name} has a value with a character that cannot be sent (CR, LF, NUL, another control character, or a character above U+00FF); the value is not shown because it may be a secret`
  }
  return undefined
}

/**
 * A record of header or query values: strings, or functions run per request.
 * Static header values are checked here; function results when they run.
 */
export function valueRecord<R extends Record<string, unknown>>(
  url: string,
  value: unknown,
  field: "headers" | "params",
  operation?: StreamOperation
): R | undefined {
  if (value === undefined) return undefined
  const isHeaders = typeof Headers !== "undefined" && value instanceof Headers
  if (typeof value !== "object" || value === null || Array.isArray(value) || isHeaders) {
    const hint = isHeaders ? " — pass a plain object: { name: value }" : ""
    throw invalidArgument(url, `${field} must be an object of names to values (got ${describeValue(value)})${hint}`, operation)
  }
  for (const key of Object.keys(value)) {
    const entry = (value as Record<string, unknown>)[key]
    if (entry === undefined || typeof entry === "function") {
      if (field === "headers" && !isValidHeaderName(key)) {
        throw invalidArgument(url, `headers has an invalid header name ${describeValue(key)}`, operation)
      }
      continue
    }
    if (field === "headers") {
      if (!isValidHeaderName(key)) {
        throw invalidArgument(url, `headers has an invalid header name ${describeValue(key)}`, operation)
      }
      const problem = headerValueProblem(key, entry)
      if (problem) throw invalidArgument(url, problem, operation)
    } else if (typeof entry !== "string") {
      throw invalidArgument(
        url,
        `params.${key} must be a string or a function returning one (got ${describeValue(entry)})`,
        operation
      )
    }
  }
  return value as R
}
