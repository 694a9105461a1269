/**
 * How Yjs updates travel on a byte stream: each one is a frame, its byte
 * length as an unsigned LEB128 varint followed by the update itself. The
 * producer concatenates frames into one POST body and a read may hand back
 * any number of them, so the boundaries live in the bytes, not in requests.
 * Pure: no I/O.
 */

/** Content type of a document or awareness stream written by this package. */
export const YJS_FRAMES_CONTENT_TYPE = "application/x-yjs-frames"

/** Largest frame a decoder accepts (256 MiB): a bigger length means the bytes are not ours. */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024

/** Bytes the varint takes for `length`. */
export function varintLength(length: number): number {
  let bytes = 1
  while (length >= 0x80) {
    length = Math.floor(length / 0x80)
    bytes++
  }
  return bytes
}

/** One frame: varint length, then the update. */
export function encodeFrame(update: Uint8Array): Uint8Array {
  let length = update.length
  const frame = new Uint8Array(varintLength(length) + length)
  let at = 0
  while (length >= 0x80) {
    frame[at++] = (length & 0x7f) | 0x80
    length = Math.floor(length / 0x80)
  }
  frame[at++] = length
  frame.set(update, at)
  return frame
}

/** Why a decoder refused its input. */
export class FrameError extends Error {
  override readonly name = "FrameError"
}

/**
 * Splits a byte stream back into updates, across chunk boundaries: a frame
 * cut by the end of one chunk is completed by the next.
 */
export class FrameDecoder {
  private rest: Uint8Array = new Uint8Array(0)

  /** Whether bytes of an unfinished frame are held (the position is not at a frame boundary). */
  get hasPartialFrame(): boolean {
    return this.rest.length > 0
  }

  /** Every complete update in `rest + chunk`; keeps the unfinished tail. Throws FrameError on garbage. */
  push(chunk: Uint8Array): Uint8Array[] {
    let bytes = chunk
    if (this.rest.length > 0) {
      bytes = new Uint8Array(this.rest.length + chunk.length)
      bytes.set(this.rest)
      bytes.set(chunk, this.rest.length)
    }
    const updates: Uint8Array[] = []
    let at = 0
    for (;;) {
      const header = readVarint(bytes, at)
      if (header === undefined) break
      const end = header.next + header.value
      if (end > bytes.length) break
      // subarray: no copy; Yjs only reads the update.
      updates.push(bytes.subarray(header.next, end))
      at = end
    }
    this.rest = at === bytes.length ? new Uint8Array(0) : bytes.slice(at)
    return updates
  }

  /** Drops a held partial frame (after a restart from an earlier boundary). */
  reset(): void {
    this.rest = new Uint8Array(0)
  }
}

function readVarint(bytes: Uint8Array, start: number): { value: number; next: number } | undefined {
  let value = 0
  let scale = 1
  for (let at = start; at < bytes.length; at++) {
    const byte = bytes[at]!
    value += (byte & 0x7f) * scale
    if (value > MAX_FRAME_BYTES) {
      throw new FrameError(`a frame claims ${value} bytes or more (limit ${MAX_FRAME_BYTES}): this is not a stream of Yjs frames`)
    }
    if (byte < 0x80) {
      if (value === 0) throw new FrameError("a frame of length 0: this is not a stream of Yjs frames")
      return { value, next: at + 1 }
    }
    scale *= 0x80
  }
  return undefined
}
