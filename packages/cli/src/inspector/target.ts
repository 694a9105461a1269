/**
 * What the inspector may read: streams under one URL prefix of one server.
 * `http://host/v1/stream/chat` gives the prefix `http://host/v1/stream/` and
 * opens `chat`; a URL ending in `/` is a prefix with no stream opened yet.
 * The page names streams relative to the prefix, and the proxy reaches
 * nothing outside it.
 */
export interface InspectTarget {
  /** `origin + path prefix` (ends with `/`), credentials and query left out. */
  readonly prefix: string
  /** The query of the URL the inspector was given, sent upstream on every request (never to the page). */
  readonly search: string
  /** The stream opened first, relative to the prefix (`""` for none). */
  readonly initialStream: string
}

export function inspectTarget(url: string): InspectTarget {
  const parsed = new URL(url)
  const slash = parsed.pathname.lastIndexOf("/")
  const path = parsed.pathname.slice(0, slash + 1)
  return {
    prefix: `${parsed.origin}${path}`,
    search: parsed.search,
    initialStream: parsed.pathname.slice(slash + 1),
  }
}

/**
 * The upstream URL for a stream name from the page, or undefined when the
 * name would leave the prefix (`..`, `.`, empty segments, a scheme).
 */
export function upstreamUrl(target: InspectTarget, name: string, query: string): string | undefined {
  const segments = name.split("/")
  if (name === "" || segments.some((segment) => segment === "" || segment === "." || segment === "..")) return undefined
  // Path characters only (RFC 3986 pchar), and no encoded dot, slash or backslash that a server might decode.
  if (!segments.every((segment) => PCHARS.test(segment)) || /%2e|%2f|%5c/i.test(name)) return undefined
  const params = new URLSearchParams(target.search)
  for (const [key, value] of new URLSearchParams(query)) params.append(key, value)
  // PROTOCOL §10.1 (client SHOULD): query parameters in lexicographic key order, for caches.
  params.sort()
  const search = params.toString()
  // Kept as the page encoded it: a server keys streams by the path as sent.
  return `${target.prefix}${name}${search ? `?${search}` : ""}`
}

const PCHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})+$/
