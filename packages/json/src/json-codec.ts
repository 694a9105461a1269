import { DurableStreamError } from "@durable-client/bytes"
import type { StandardSchemaV1 } from "@standard-schema/spec"
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
 * Validates every item with a Standard Schema (sync or async validators).
 * Returns the schema's outputs, so transforms and defaults apply.
 */
export async function validateItems<T>(
  items: unknown[],
  schema: StandardSchemaV1<unknown, T> | undefined,
  url: string,
  offset: string
): Promise<T[]> {
  if (!schema) return items as T[]
  const out: T[] = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    let result = schema["~standard"].validate(items[i])
    // Not `instanceof Promise`: a promise from another realm (iframe, vm) must be awaited too.
    if (isThenable(result)) result = await result
    if (result.issues) throw new ValidationError(url, offset, result.issues, items[i])
    out[i] = result.value
  }
  return out
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function"
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
