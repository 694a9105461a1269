const encoder = new TextEncoder()

/** Joins byte chunks (strings are UTF-8 encoded) into one array. */
export function concatBytes(parts: ReadonlyArray<Uint8Array | string>): Uint8Array {
  if (parts.length === 1 && typeof parts[0] !== "string") return parts[0]!
  const arrays = parts.map((part) => (typeof part === "string" ? encoder.encode(part) : part))
  let length = 0
  for (const array of arrays) length += array.length
  const out = new Uint8Array(length)
  let position = 0
  for (const array of arrays) {
    out.set(array, position)
    position += array.length
  }
  return out
}

/**
 * Merges the SSE data events of a JSON stream into ONE JSON array, so every
 * chunk of a JSON stream is a single array whatever the transport. Each
 * payload is an array of messages (`[a,b]`), or a bare message; empty
 * arrays add nothing. Malformed payloads pass through and fail at parse
 * time with PARSE_ERROR in the JSON layer.
 */
export function joinJsonArrays(parts: ReadonlyArray<Uint8Array | string>): Uint8Array {
  if (parts.length === 0) return new Uint8Array(0)
  const decoder = new TextDecoder()
  const items: string[] = []
  for (const part of parts) {
    const text = (typeof part === "string" ? part : decoder.decode(part)).trim()
    if (text.startsWith("[") && text.endsWith("]")) {
      const inner = text.slice(1, -1).trim()
      if (inner !== "") items.push(inner)
    } else if (text !== "") {
      items.push(text)
    }
  }
  return encoder.encode(`[${items.join(",")}]`)
}
