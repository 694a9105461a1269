/**
 * Headers and query parameters may be static strings or functions evaluated
 * on every request (each long-poll, each SSE reconnect), so short-lived auth
 * tokens stay fresh for the whole life of a session.
 */
export type DynamicValue =
  | string
  | (() => string | undefined | Promise<string | undefined>)

/** Request headers; a function value is called per request (fresh tokens). */
export type HeadersRecord = Record<string, DynamicValue | undefined>
/** Query parameters; a function value is called per request. */
export type ParamsRecord = Record<string, DynamicValue | undefined>

export async function resolveValues(
  ...records: Array<Record<string, DynamicValue | undefined> | undefined>
): Promise<Record<string, string>> {
  return resolveRecords(records, (key) => key)
}

/**
 * Like `resolveValues`, for header records: names are case-insensitive, so
 * they are lowercased and a later `authorization` replaces an earlier
 * `Authorization` instead of both being sent.
 */
export async function resolveHeaders(
  ...records: Array<Record<string, DynamicValue | undefined> | undefined>
): Promise<Record<string, string>> {
  return resolveRecords(records, (key) => key.toLowerCase())
}

async function resolveRecords(
  records: Array<Record<string, DynamicValue | undefined> | undefined>,
  normalise: (key: string) => string
): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const record of records) {
    if (!record) continue
    for (const key of Object.keys(record)) {
      const value = record[key]
      if (value === undefined) continue
      const resolved = typeof value === "function" ? await value() : value
      const name = normalise(key)
      if (resolved === undefined) delete out[name]
      else out[name] = resolved
    }
  }
  return out
}

/**
 * Stream URLs are handled as strings, never with the global `URL` class:
 * React Native's URL appends "/" to every URL it parses (another resource),
 * throws "not implemented" from `protocol`, `pathname` and `search` in many
 * versions, and cannot assign `search`.
 */
const ABSOLUTE_HTTP_URL = /^(https?):\/\/([^/?#\s]+)([/?#].*)?$/i
// host (a registered name or a bracketed IPv6 literal) and an optional port.
const AUTHORITY = /^(?:[A-Za-z0-9\-._~%!$&'()*+,;=]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/

/**
 * The URL the client will use for a stream, or `undefined` when `text` is
 * not an absolute http(s) URL fetch could send (a malformed host or port,
 * credentials in the URL, a space in the host). The scheme is lowercased, an
 * empty path becomes "/" and spaces become %20, as the WHATWG URL
 * serialisation has them; nothing else changes.
 */
export function normalizeStreamUrl(text: string): string | undefined {
  const match = ABSOLUTE_HTTP_URL.exec(text.trim())
  if (!match) return undefined
  const [, scheme, authority] = match as unknown as [string, string, string]
  const rest = match[3] ?? ""
  const host = AUTHORITY.exec(authority)
  if (!host || (host[1] !== undefined && Number(host[1]) > 65535)) return undefined
  if (/[\u0000-\u001f\u007f]/.test(rest)) return undefined
  const path = rest === "" || rest.startsWith("?") || rest.startsWith("#") ? `/${rest}` : rest
  return `${scheme.toLowerCase()}://${authority}${path.replace(/ /g, "%20")}`
}

/**
 * Builds the request URL with query parameters in lexicographic key order
 * (protocol params and caller extensions together) so CDNs see one cache key
 * per logical request. Values are URL-encoded; offsets are opaque and must be
 * forwarded verbatim apart from that encoding. Parameters already in `base`
 * are kept (a request parameter of the same name replaces one); a fragment is
 * dropped, as fetch would never send it.
 */
export function buildUrl(base: string, params: Record<string, string>): string {
  const hash = base.indexOf("#")
  const withoutHash = hash === -1 ? base : base.slice(0, hash)
  const question = withoutHash.indexOf("?")
  const path = question === -1 ? withoutHash : withoutHash.slice(0, question)
  const merged = new Map<string, string>()
  if (question !== -1) {
    for (const pair of withoutHash.slice(question + 1).split("&")) {
      if (pair === "") continue
      const equals = pair.indexOf("=")
      const key = equals === -1 ? pair : pair.slice(0, equals)
      merged.set(decodeQueryPart(key), equals === -1 ? "" : decodeQueryPart(pair.slice(equals + 1)))
    }
  }
  for (const key of Object.keys(params)) merged.set(key, params[key]!)
  if (merged.size === 0) return path
  const query = [...merged.keys()]
    .sort()
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(merged.get(key)!)}`)
    .join("&")
  return `${path}?${query}`
}

/** application/x-www-form-urlencoded decoding: "+" is a space; a malformed escape is kept as is. */
function decodeQueryPart(text: string): string {
  const spaced = text.replace(/\+/g, " ")
  try {
    return decodeURIComponent(spaced)
  } catch {
    return spaced
  }
}
