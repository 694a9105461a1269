export interface SseEvent {
  /** Event type; `undefined` when the server sent none. */
  event: string | undefined
  data: string
}

const LINE_END = /\r\n?|\n/g

/**
 * Turns decoded `text/event-stream` text, fed in arbitrary pieces, into events. It keeps only what
 * a Durable Streams reader uses (`event` and `data`); `id`, `retry`, comments and unknown fields are
 * ignored, as the W3C rules allow. Our own rather than a dependency: the general parser cost more
 * bytes in every bundle than the whole rest of the SSE path.
 */
function sseParser(onEvent: (event: SseEvent) => void): (text: string) => void {
  // An unterminated line, kept as pieces so a huge data line split over many chunks is joined once.
  let partial: string[] = []
  let data: string | undefined
  let event: string | undefined
  // The last piece ended in CR: an LF that starts the next one completes the same CRLF.
  let afterCr = false
  const line = (text: string): void => {
    if (text === "") {
      // A blank line dispatches, but only an event that had a data field (even an empty one).
      if (data !== undefined) onEvent({ event, data })
      data = event = undefined
      return
    }
    const colon = text.indexOf(":")
    // A leading colon is a comment.
    if (colon === 0) return
    const field = colon < 0 ? text : text.slice(0, colon)
    let value = colon < 0 ? "" : text.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    if (field === "data") data = data === undefined ? value : `${data}\n${value}`
    else if (field === "event") event = value || undefined
  }
  return (text) => {
    if (text === "") return
    const piece = afterCr && text.charCodeAt(0) === 10 ? text.slice(1) : text
    afterCr = piece.charCodeAt(piece.length - 1) === 13
    if (piece === "") return
    // Split only at CR and LF, never at U+0085, U+2028 or U+2029.
    if (!/[\r\n]/.test(piece)) {
      partial.push(piece)
      return
    }
    partial.push(piece)
    const joined = partial.join("")
    partial = []
    let start = 0
    LINE_END.lastIndex = 0
    for (let end = LINE_END.exec(joined); end !== null; end = LINE_END.exec(joined)) {
      line(joined.slice(start, end.index))
      start = LINE_END.lastIndex
    }
    if (start < joined.length) partial.push(joined.slice(start))
  }
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
  let pending: SseEvent[] = []
  const feed = sseParser((event) => pending.push(event))
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
      if (pending.length > 0) {
        const events = pending
        pending = []
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
