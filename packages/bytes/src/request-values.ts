/**
 * Headers and query parameters may be static strings or functions evaluated
 * on every request (each long-poll, each SSE reconnect), so short-lived auth
 * tokens stay fresh for the whole life of a session.
 */
export type DynamicValue =
  | string
  | (() => string | undefined | Promise<string | undefined>)

export type HeadersRecord = Record<string, DynamicValue | undefined>
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
 * Builds the request URL with query parameters in lexicographic key order
 * (protocol params and caller extensions together) so CDNs see one cache key
 * per logical request. Values are URL-encoded; offsets are opaque and must be
 * forwarded verbatim apart from that encoding.
 */
export function buildUrl(base: string, params: Record<string, string>): string {
  const url = new URL(base)
  const merged: Record<string, string> = {}
  url.searchParams.forEach((value, key) => {
    merged[key] = value
  })
  Object.assign(merged, params)
  const keys = Object.keys(merged).sort()
  if (keys.length === 0) return url.toString()
  const query = keys
    .map((key) => `${encodeURIComponent(key)}=${encodeURIComponent(merged[key]!)}`)
    .join("&")
  url.search = ""
  return `${url.toString()}?${query}`
}
