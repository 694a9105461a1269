/**
 * Protocol header and parameter names, and the rules for reading them.
 * `Headers` lookups are case-insensitive, which covers servers that send
 * lowercase names.
 */
export const H = {
  nextOffset: "Stream-Next-Offset",
  upToDate: "Stream-Up-To-Date",
  closed: "Stream-Closed",
  cursor: "Stream-Cursor",
  ttl: "Stream-TTL",
  expiresAt: "Stream-Expires-At",
  seq: "Stream-Seq",
  sseEncoding: "Stream-SSE-Data-Encoding",
  producerId: "Producer-Id",
  producerEpoch: "Producer-Epoch",
  producerSeq: "Producer-Seq",
  producerExpectedSeq: "Producer-Expected-Seq",
  producerReceivedSeq: "Producer-Received-Seq",
  retryAfter: "Retry-After",
  contentType: "Content-Type",
} as const

/**
 * Presence flags (`Stream-Closed`, `Stream-Up-To-Date`) count only when their
 * value is `true`, case-insensitively; `false`, `1` or empty mean absent.
 */
export function flagHeader(headers: Headers, name: string): boolean {
  const value = headers.get(name)
  return value !== null && value.trim().toLowerCase() === "true"
}

/** Media type without parameters, lowercased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | null | undefined): string {
  if (!contentType) return ""
  const semicolon = contentType.indexOf(";")
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon))
    .trim()
    .toLowerCase()
}

export function isJsonContentType(contentType: string | null | undefined): boolean {
  return mediaType(contentType) === "application/json"
}
