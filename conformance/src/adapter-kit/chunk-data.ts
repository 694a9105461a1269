import type { ReadChunk } from "../protocol.ts"

// fatal: invalid bytes must not turn into U+FFFD; ignoreBOM: a leading BOM is
// data and must survive the round trip.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/**
 * A read chunk in the protocol's shape: the bytes as text whenever they are
 * valid UTF-8 (whatever the stream's content type: the public runner compares
 * `data` as text), and base64 with `binary: true` only for bytes no JSON
 * string can carry unchanged.
 */
export function chunkOf(bytes: Uint8Array, offset: string | undefined): ReadChunk {
  const chunk: ReadChunk = { data: "" }
  try {
    chunk.data = strictUtf8.decode(bytes)
  } catch {
    chunk.data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
    chunk.binary = true
  }
  if (offset !== undefined) chunk.offset = offset
  return chunk
}

/** Command data as bytes or text: base64 when `binary`, else the string itself. */
export function payload(data: string, binary: boolean | undefined): Uint8Array | string {
  return binary ? new Uint8Array(Buffer.from(data, "base64")) : data
}
