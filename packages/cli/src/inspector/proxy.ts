import type { IncomingMessage, ServerResponse } from "node:http"
import type { FetchLike } from "@durable-client/state"

/** Request headers the page's reads need upstream; everything else (cookies…) stays behind. */
const FORWARDED_REQUEST_HEADERS = ["accept", "if-none-match", "cache-control"]

/**
 * Response headers never passed back: hop-by-hop ones, the body encoding
 * (fetch has already decoded the body), cookies and CORS (the page is
 * same-origin; other origins must not get a way in through us).
 */
const DROPPED_RESPONSE_HEADERS = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-encoding",
  "content-length",
  "set-cookie",
  "cross-origin-resource-policy",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-headers",
  "access-control-allow-methods",
  "access-control-expose-headers",
])

/**
 * Forwards one read (GET or HEAD) to `upstream` with the CLI's headers, and
 * streams the answer back chunk by chunk (SSE and long-polls included). The
 * upstream request is cancelled when the page goes away.
 */
export async function forwardRead(
  request: IncomingMessage,
  response: ServerResponse,
  upstream: string,
  headers: Readonly<Record<string, string>>,
  fetch: FetchLike
): Promise<void> {
  const controller = new AbortController()
  response.once("close", () => controller.abort())
  const sent: Record<string, string> = {}
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = request.headers[name]
    if (typeof value === "string") sent[name] = value
  }
  Object.assign(sent, headers)

  let answer: Response
  try {
    answer = await fetch(upstream, {
      method: request.method === "HEAD" ? "HEAD" : "GET",
      headers: sent,
      redirect: "manual",
      signal: controller.signal,
    })
  } catch {
    if (!response.headersSent && !controller.signal.aborted) {
      // Retryable for the page's SDK (5xx): it backs off and tries again, and its health shows it.
      response.writeHead(502, { "content-type": "text/plain; charset=utf-8" }).end("the stream server could not be reached")
    }
    return
  }
  const passed: Record<string, string> = {}
  answer.headers.forEach((value, name) => {
    if (!DROPPED_RESPONSE_HEADERS.has(name)) passed[name] = value
  })
  // Our origin's responses are for our page only: no embedding by other sites (a stream's bytes
  // could happen to parse as a script or a stylesheet), whatever the upstream allowed.
  passed["cross-origin-resource-policy"] = "same-origin"
  passed["x-content-type-options"] = "nosniff"
  response.writeHead(answer.status, passed)
  response.flushHeaders()
  if (!answer.body || request.method === "HEAD") {
    await answer.body?.cancel().catch(() => undefined)
    response.end()
    return
  }
  const reader = answer.body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      // Wait for the socket when the page reads slowly, instead of buffering the stream in memory.
      if (!response.write(value)) {
        await new Promise((resolve) => {
          response.once("drain", resolve)
          response.once("close", resolve)
        })
      }
      if (controller.signal.aborted) break
    }
    if (!controller.signal.aborted) response.end()
  } catch {
    // The page went away or the server cut the body: end ours the same way, so the SDK reconnects.
    response.destroy()
  } finally {
    await reader.cancel().catch(() => undefined)
  }
}
