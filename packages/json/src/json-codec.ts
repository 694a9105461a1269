import { DurableStreamError } from "@durable-client/bytes"
import type { StandardSchemaV1 } from "@standard-schema/spec"
import { validateWithSchema } from "./schema-validation"
import { ValidationError } from "./validation-error"

const decoder = new TextDecoder()

/**
 * Parses one response (or merged SSE batch) of a JSON stream: a JSON array
 * whose elements are the messages. A 0-byte body and `[]` both mean "no
 * messages". Anything else that is not an array is a PARSE_ERROR naming the
 * stream and the offset the batch was read from.
 */
export function parseJsonBatch(data: Uint8Array, url: string, offset: string): unknown[] {
  if (data.length === 0) return []
  const text = decoder.decode(data)
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw new DurableStreamError(
      "PARSE_ERROR",
      `Stream ${url}: response after offset ${offset} is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}); resume from offset ${offset}`,
      { url, operation: "read", offset, cause }
    )
  }
  if (!Array.isArray(parsed)) {
    throw new DurableStreamError(
      "PARSE_ERROR",
      `Stream ${url}: response after offset ${offset} is not a JSON array of messages`,
      { url, operation: "read", offset }
    )
  }
  return parsed
}

/**
 * Validates every item with a Standard Schema (sync or async validators,
 * through the one validation path the state layer shares). Returns the
 * schema's outputs, so transforms and defaults apply.
 */
export async function validateItems<T>(
  items: unknown[],
  schema: StandardSchemaV1<unknown, T> | undefined,
  url: string,
  offset: string
): Promise<T[]> {
  if (!schema) return items as T[]
  const out: T[] = new Array(items.length)
  const context = { url, what: "the stream's schema", operation: "read" as const }
  for (let i = 0; i < items.length; i++) {
    let verdict = validateWithSchema(schema, items[i], context)
    // Sync schemas cost no microtask per message; validateWithSchema turns any thenable into a Promise.
    if (verdict instanceof Promise) verdict = await verdict
    if (!verdict.ok) throw new ValidationError(url, offset, verdict.issues, items[i])
    out[i] = verdict.value
  }
  return out
}

/** `JSON.stringify` that refuses values JSON cannot carry instead of sending `undefined`. */
export function encodeJsonValue(value: unknown, url: string): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (cause) {
    throw new DurableStreamError(
      "INVALID_ARGUMENT",
      `Invalid argument for stream ${url}: value cannot be serialised as JSON (${cause instanceof Error ? cause.message : String(cause)})`,
      { url, operation: "append", cause }
    )
  }
  if (text === undefined) {
    throw new DurableStreamError(
      "INVALID_ARGUMENT",
      `Invalid argument for stream ${url}: ${typeof value} is not a JSON value`,
      { url, operation: "append" }
    )
  }
  return text
}
