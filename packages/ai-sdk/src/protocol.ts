/**
 * The one header this package adds to a chat route's answer: the absolute
 * (or route-relative) URL of the durable stream that holds the generation.
 * Browsers only let a page read it cross-origin when the answer lists it in
 * `Access-Control-Expose-Headers`, which `ChatStream.response()` does.
 */
export const CHAT_STREAM_URL_HEADER = "Durable-Stream-Url"

/**
 * The AI SDK's UI message stream wire format (SSE, one JSON chunk per `data:`
 * event, `[DONE]` at the end), so an app's chat route stays readable by the
 * AI SDK's default transport too.
 */
export const UI_MESSAGE_STREAM_RESPONSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "x-vercel-ai-ui-message-stream": "v1",
  // Keeps nginx-style proxies from buffering the live answer.
  "x-accel-buffering": "no",
})
