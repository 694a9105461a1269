export interface SseEvent {
  /** Event type; `undefined` when the server sent none. */
  event: string | undefined
  data: string
}

/**
 * Turns decoded `text/event-stream` text, fed in arbitrary pieces, into events. It keeps only what
 * a Durable Streams reader uses (`event` and `data`); `id`, `retry`, comments and unknown fields are
 * ignored, as the W3C rules allow. Our own rather than a dependency: the general parser cost more
 * bytes in every bundle than the whole rest of the SSE path. A class, not a closure over its
 * state: an idle SSE session holds one, and fields on one object are the cheapest way to hold it.
 */
export class SseParser {
  /** Complete events not yet taken, in order. */
  events: SseEvent[] = []
  // An unterminated line, kept as pieces so a huge data line split over many chunks is joined once.
  private _partial: string[] = []
  private _data: string | undefined
  private _event: string | undefined
  // The last piece ended in CR: an LF that starts the next one completes the same CRLF.
  private _afterCr = false

  feed(text: string): void {
    if (text === "") return
    const piece = this._afterCr && text.charCodeAt(0) === 10 ? text.slice(1) : text
    this._afterCr = piece.charCodeAt(piece.length - 1) === 13
    // Split only at CR and LF, never at U+0085, U+2028 or U+2029.
    const hasCr = piece.includes("\r")
    const partial = this._partial
    partial.push(piece)
    if (!hasCr && !piece.includes("\n")) return
    const joined = partial.length === 1 ? piece : partial.join("")
    partial.length = 0
    let start = 0
    // The next CR at or after `start`, found again only once passed, so a lone CR far ahead is not rescanned per line.
    let cr = hasCr ? -2 : -1
    for (;;) {
      let end = joined.indexOf("\n", start)
      let next = end + 1
      if (cr !== -1) {
        if (cr < start) cr = joined.indexOf("\r", start)
        if (cr !== -1 && (end === -1 || cr < end)) {
          end = cr
          next = joined.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1
        }
      }
      if (end === -1) break
      this._line(joined, start, end)
      start = next
    }
    if (start < joined.length) partial.push(joined.slice(start))
  }

  // One line, text[start, end), read in place: slicing it first would copy a large data line twice.
  private _line(text: string, start: number, end: number): void {
    if (start === end) {
      // A blank line dispatches, but only an event that had a data field (even an empty one).
      if (this._data !== undefined) this.events.push({ event: this._event, data: this._data })
      this._data = this._event = undefined
      return
    }
    // Only "data" and "event" matter; any other field, and a comment (a leading colon), is skipped.
    const isData = startsWith(text, start, "data")
    let from = start + (isData ? 4 : 5)
    if (!isData && !startsWith(text, start, "event")) return
    // The name must end at a colon or at the end of the line ("database: x" is another field).
    if (from < end && text.charCodeAt(from++) !== 58) return
    if (from < end && text.charCodeAt(from) === 32) from++
    const value = from >= end ? "" : text.slice(from, end)
    if (isData) this._data = this._data === undefined ? value : `${this._data}\n${value}`
    else this._event = value || undefined
  }
}

// Comparing char codes in place: String.prototype.startsWith with a position is several times slower in V8.
function startsWith(text: string, at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (text.charCodeAt(at + i) !== name.charCodeAt(i)) return false
  return true
}

/**
 * Reads `text/event-stream` bytes from a fetch body and yields complete
 * events. Parsing follows the W3C rules (CR, LF and CRLF line ends; one
 * optional space after the colon; multi-line data joined with `\n`;
 * comments ignored).
 *
 * The reader is released when iteration stops early (break, cancel, error),
 * so an abandoned connection does not keep its socket.
 */
export async function* readSseEvents(
  body: ReadableStream<Uint8Array>,
  options: {
    /** Ends the read (with the signal's reason) even where fetch does not tie its body to the signal. */
    signal?: AbortSignal
    /** Called whenever bytes arrive, events or not (an idle watchdog's heartbeat). */
    onBytes?: () => void
  } = {}
): AsyncGenerator<SseEvent> {
  const reader = body.getReader()
  const { signal, onBytes } = options
  const onAbort = (): void => void reader.cancel(signal?.reason).catch(() => undefined)
  signal?.addEventListener("abort", onAbort, { once: true })
  const decoder = new TextDecoder()
  const parser = new SseParser()
  const feed = (text: string): void => parser.feed(text)
  let finished = false
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (signal?.aborted) throw signal.reason
      if (done) {
        finished = true
        feed(decoder.decode())
        // An event without its terminating blank line is incomplete and is
        // dropped, as the SSE spec requires.
      } else {
        onBytes?.()
        feed(decoder.decode(value, { stream: true }))
      }
      if (parser.events.length > 0) {
        const events = parser.events
        parser.events = []
        yield* events
      }
      if (finished) return
    }
  } finally {
    signal?.removeEventListener("abort", onAbort)
    if (!finished) {
      // Cancelling also aborts the underlying connection. Not awaited: on a
      // cloned body (fetch wrappers, mocks) the cancel settles only once every
      // clone is done, which would hang the caller.
      void reader.cancel().catch(() => undefined)
    }
    reader.releaseLock()
  }
}
