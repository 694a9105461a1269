import {
  DurableStreamError,
  type DurableStreamErrorCode,
  type FetchLike,
  type HeadersRecord,
  type ParamsRecord,
} from "@durable-client/json"
import { invalidArgument } from "@durable-client/json/internal"
import { CHAT_STREAM_URL_HEADER } from "./protocol"

/**
 * The chat POST to the app's route: its headers, query and body, and reading
 * the answer down to the generation's stream URL.
 */

/** Runs the function values of a headers or params record, as the byte layer does per request. */
export async function resolveRecord(
  where: string,
  record: HeadersRecord | ParamsRecord | undefined,
  name: "headers" | "params"
): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  if (!record) return out
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue
    let resolved: unknown = value
    if (typeof value === "function") {
      try {
        resolved = await value()
      } catch (error) {
        throw new DurableStreamError("CALLBACK_FAILED", `The ${name}.${key} function for ${where} threw`, { url: where, cause: error })
      }
    }
    if (resolved === undefined) continue
    if (typeof resolved !== "string" || /[\r\n\0]/.test(resolved)) {
      throw invalidArgument(where, `${name}.${key} must give a string without CR, LF or NUL`)
    }
    out[name === "headers" ? key.toLowerCase() : key] = resolved
  }
  return out
}

/** Per-call headers from `sendMessage(…, { headers })`: a record or a Headers object. */
export function callHeaders(headers: Record<string, string> | Headers | undefined): Record<string, string> | undefined {
  if (headers === undefined) return undefined
  const out: Record<string, string> = {}
  if (typeof Headers !== "undefined" && headers instanceof Headers) headers.forEach((value, key) => (out[key] = value))
  else for (const [key, value] of Object.entries(headers)) if (typeof value === "string") out[key.toLowerCase()] = value
  return out
}

/** The route with query parameters added (sorted, like every durable-stream request). */
export function withQuery(api: string, params: Record<string, string>): string {
  const keys = Object.keys(params).sort()
  if (keys.length === 0) return api
  const hash = api.indexOf("#")
  const base = hash === -1 ? api : api.slice(0, hash)
  const query = keys.map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(params[key]!)}`).join("&")
  return `${base}${base.includes("?") ? "&" : "?"}${query}`
}

const STATUS_CODES: Record<number, DurableStreamErrorCode> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  410: "GONE",
  413: "PAYLOAD_TOO_LARGE",
  429: "RATE_LIMITED",
}

const EXCERPT_CHARS = 300

/**
 * Sends the chat request and returns the generation's stream URL. The
 * answer's body (the same chunks as an SSE stream, for the AI SDK's default
 * transport) is cancelled: this transport reads the durable stream instead.
 */
export async function postChat(request: {
  api: string
  fetch: FetchLike
  headers: Record<string, string>
  body: unknown
  signal: AbortSignal | undefined
  /** Values this request sent, kept out of error messages. */
  secrets: string[]
}): Promise<string> {
  const { api, signal } = request
  let response: Response
  try {
    response = await request.fetch(api, {
      method: "POST",
      headers: { "content-type": "application/json", ...request.headers },
      body: JSON.stringify(request.body),
      signal,
    })
  } catch (error) {
    if (signal?.aborted) throw signal.reason
    throw new DurableStreamError("NETWORK", `The chat request to ${api} failed: ${errorMessage(error)}`, { url: api, cause: error })
  }
  if (!response.ok) {
    const excerpt = await readExcerpt(response, request.secrets)
    throw new DurableStreamError(
      STATUS_CODES[response.status] ?? "UNEXPECTED_STATUS",
      `The chat request to ${api} failed with HTTP ${response.status}${excerpt ? `: ${excerpt}` : ""}`,
      { url: api, status: response.status, headers: response.headers }
    )
  }
  const header = response.headers.get(CHAT_STREAM_URL_HEADER)
  response.body?.cancel().catch(() => undefined)
  if (!header) {
    throw new DurableStreamError(
      "PROTOCOL_VIOLATION",
      `The chat route ${api} answered without a ${CHAT_STREAM_URL_HEADER} header: answer with startChatStream(...).response() ` +
        `(and list the header in Access-Control-Expose-Headers when the route is on another origin)`,
      { url: api, status: response.status, headers: response.headers }
    )
  }
  const streamUrl = resolveAgainst(header, response.url || api)
  if (streamUrl === undefined) {
    throw new DurableStreamError(
      "PROTOCOL_VIOLATION",
      `The chat route ${api} named a stream URL that cannot be resolved: ${header.slice(0, EXCERPT_CHARS)}`,
      { url: api, status: response.status }
    )
  }
  return streamUrl
}

/** An absolute URL as is; a relative one against the answer's URL (or the page, for a relative route). */
export function resolveAgainst(url: string, base: string): string | undefined {
  if (/^https?:\/\//i.test(url)) return url
  if (typeof URL === "undefined") return undefined
  try {
    const page = (globalThis as { location?: { href?: string } }).location?.href
    const absoluteBase = /^https?:\/\//i.test(base) ? base : page ? new URL(base, page).href : undefined
    return absoluteBase === undefined ? undefined : new URL(url, absoluteBase).href
  } catch {
    return undefined
  }
}

async function readExcerpt(response: Response, secrets: string[]): Promise<string> {
  let text: string
  try {
    text = (await response.text()).slice(0, 4096)
  } catch {
    return ""
  }
  for (const secret of secrets) if (secret.length >= 4) text = text.split(secret).join("[redacted]")
  text = text.replace(/\s+/g, " ").trim()
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
