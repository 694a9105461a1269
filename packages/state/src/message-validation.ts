import { DurableStreamError } from "@durable-client/json"
import type { StateMessage } from "./messages"

const OPERATIONS = new Set(["insert", "update", "delete"])
const CONTROLS = new Set(["snapshot-start", "snapshot-end", "reset"])
// RFC 3339 date-time: date, "T", time with optional fraction, then Z or an offset.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/

/**
 * True for an RFC 3339 date-time (`format: date-time`): the shape and also
 * the ranges, so "2023-02-29T24:00:00Z" is refused. A leap second (:60) is
 * allowed only at 23:59 UTC, where RFC 3339 puts it.
 */
export function isRfc3339DateTime(text: string): boolean {
  const match = RFC3339.exec(text)
  if (!match) return false
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number, number, number, number, number, number,
  ]
  const sign = match[7] === "-" ? -1 : 1
  const zoneHour = Number(match[8] ?? 0)
  const zoneMinute = Number(match[9] ?? 0)
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
  if (daysInMonth === undefined || day < 1 || day > daysInMonth) return false
  if (hour > 23 || minute > 59 || second > 60 || zoneHour > 23 || zoneMinute > 59) return false
  if (second === 60) {
    const utcMinuteOfDay = (((hour * 60 + minute - sign * (zoneHour * 60 + zoneMinute)) % 1440) + 1440) % 1440
    if (utcMinuteOfDay !== 23 * 60 + 59) return false
  }
  return true
}

/**
 * A message that does not follow the State Protocol, or a value its entity
 * schema refused. Names the entity type, key and stream offset so the bad
 * write can be found.
 */
export class StateMessageError extends DurableStreamError {
  override readonly name: string = "StateMessageError"
  readonly entityType: string | undefined
  readonly key: string | undefined
  readonly issues: ReadonlyArray<{ message: string; path: PropertyKey[] }>

  constructor(
    url: string,
    offset: string | undefined,
    problem: string,
    message: unknown,
    issues: ReadonlyArray<{ message: string; path: PropertyKey[] }> = []
  ) {
    const { type, key } = identify(message)
    const who = type !== undefined ? ` (type ${JSON.stringify(type)}, key ${JSON.stringify(key)})` : ""
    super("VALIDATION", `Stream ${url}: invalid State Protocol message after offset ${offset ?? "-1"}${who}: ${problem}`, {
      url,
      operation: "read",
      offset,
    })
    this.entityType = type
    this.key = key
    this.issues = issues
  }
}

function identify(message: unknown): { type: string | undefined; key: string | undefined } {
  if (typeof message !== "object" || message === null) return { type: undefined, key: undefined }
  const { type, key } = message as { type?: unknown; key?: unknown }
  return {
    type: typeof type === "string" ? type : undefined,
    key: typeof key === "string" ? key : undefined,
  }
}

/**
 * Checks a message against the State Protocol: required fields, their types
 * and the operation/control vocabulary. Unknown fields are tolerated, not
 * refused: the base protocol says extensions must not break clients, and the
 * reference server itself stamps `headers.offset` on every change message.
 * Returns a description of the first problem, or undefined when valid.
 */
export function describeInvalidMessage(message: unknown): string | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) {
    return "a message must be a JSON object"
  }
  const record = message as Record<string, unknown>
  const headers = record.headers
  if (typeof headers !== "object" || headers === null || Array.isArray(headers)) {
    return "headers must be an object"
  }
  const h = headers as Record<string, unknown>
  const isControl = "control" in h
  const isChange = "operation" in h
  if (isControl === isChange) return "headers must have exactly one of operation or control"
  if (isControl) {
    if (typeof h.control !== "string" || !CONTROLS.has(h.control)) return `unknown control ${JSON.stringify(h.control)}`
    if ("offset" in h && (typeof h.offset !== "string" || h.offset === "")) return "headers.offset must be a non-empty string"
    return undefined
  }
  if (typeof record.type !== "string" || record.type === "") return "type must be a non-empty string"
  if (typeof record.key !== "string" || record.key === "") return "key must be a non-empty string"
  if (typeof h.operation !== "string" || !OPERATIONS.has(h.operation)) {
    return `unknown operation ${JSON.stringify(h.operation)}`
  }
  if (h.operation !== "delete" && !("value" in record)) return `${h.operation} requires a value`
  if ("txid" in h && (typeof h.txid !== "string" || h.txid === "")) return "headers.txid must be a non-empty string"
  if ("timestamp" in h && (typeof h.timestamp !== "string" || !isRfc3339DateTime(h.timestamp))) {
    return "headers.timestamp must be an RFC 3339 date-time"
  }
  return undefined
}

export function assertStateMessage(message: unknown, url: string, offset: string | undefined): asserts message is StateMessage {
  const problem = describeInvalidMessage(message)
  if (problem !== undefined) throw new StateMessageError(url, offset, problem, message)
}
