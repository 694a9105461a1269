import { createParser, type EventSourceMessage } from "eventsource-parser"

export interface SseEvent {
  /** Event type; `undefined` when the server sent none. */
  event: string | undefined
  data: string
}

/**
 * Reads `text/event-stream` bytes from a fetch body and yields complete
 * events. Parsing follows the W3C rules (CR, LF and CRLF line ends; one
 * optional space after the colon; multi-line data joined with `\n`;
 * comments ignored) via eventsource-parser, which splits lines only at CR
 * and LF, never at U+0085, U+2028 or U+2029.
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
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => {
      pending.push({ event: message.event, data: message.data })
    },
  })
  let finished = false
  // The parser holds back a trailing CR in case an LF follows (CRLF).
  let endsWithCr = false
  const feed = (text: string): void => {
    if (text === "") return
    parser.feed(text)
    endsWithCr = text.endsWith("\r")
  }
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (signal?.aborted) throw signal.reason
      if (done) {
        finished = true
        feed(decoder.decode())
        // At end of stream a trailing CR is a complete line end: let the
        // parser see it as one, so a CR-terminated last event is not lost.
        if (endsWithCr) parser.feed("\n")
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
