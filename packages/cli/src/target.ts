import { usageError } from "./usage-error"

/** Environment variables the CLI reads. */
export const ENV = Object.freeze({
  url: "DURABLE_STREAM_URL",
  baseUrl: "DURABLE_STREAM_BASE_URL",
  token: "DURABLE_STREAM_TOKEN",
  headers: "DURABLE_STREAM_HEADERS",
})

export type Environment = Readonly<Record<string, string | undefined>>

/** Where a stream name is resolved: `--base-url`, else DURABLE_STREAM_BASE_URL. */
export function baseUrlFrom(flag: string | undefined, env: Environment): string | undefined {
  const base = flag ?? nonEmpty(env[ENV.baseUrl])
  if (base !== undefined) checkHttpUrl(base, flag !== undefined ? "--base-url" : ENV.baseUrl)
  return base
}

/**
 * The stream URL for a command: `given` is a full http(s) URL, or a stream
 * name resolved against the base URL; without it, DURABLE_STREAM_URL.
 */
export function resolveStreamUrl(given: string | undefined, base: string | undefined, env: Environment): string {
  if (given !== undefined) return resolveGiven(given, base)
  const fromEnv = nonEmpty(env[ENV.url])
  if (fromEnv !== undefined) {
    checkHttpUrl(fromEnv, ENV.url)
    return fromEnv
  }
  throw usageError(
    base === undefined
      ? `no stream: give its URL, or set ${ENV.url}`
      : `no stream: give its name (resolved against ${ENV.baseUrl} or --base-url) or its URL`
  )
}

/** Whether an argument is a URL (rather than a stream name or data). */
export function looksLikeUrl(text: string): boolean {
  return /^https?:\/\//i.test(text)
}

function resolveGiven(given: string, base: string | undefined): string {
  if (looksLikeUrl(given)) {
    checkHttpUrl(given, "the stream URL")
    return given
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) throw usageError(`only http:// and https:// stream URLs are supported`)
  if (base === undefined) {
    throw usageError(`"${given}" is not a URL: give a full http(s) URL, or set ${ENV.baseUrl} (or --base-url) to use stream names`)
  }
  return joinName(base, given)
}

/** `base` + `/` + `name`, refusing names that would leave the base or carry a query. */
export function joinName(base: string, name: string): string {
  const segments = name.replace(/^\/+/, "").split("/")
  if (name.trim() === "" || segments.some((segment) => segment === "" || segment === "." || segment === "..")) {
    throw usageError(`"${name}" is not a stream name (empty, ".", ".." and "//" are not allowed)`)
  }
  if (/[\s?#]/.test(name)) throw usageError(`"${name}" is not a stream name (no spaces, "?" or "#")`)
  const parsed = new URL(base)
  const path = parsed.pathname.endsWith("/") ? parsed.pathname : `${parsed.pathname}/`
  parsed.pathname = path + segments.join("/")
  return parsed.toString()
}

function checkHttpUrl(text: string, what: string): void {
  let parsed: URL
  try {
    parsed = new URL(text)
  } catch {
    throw usageError(`${what} is not a valid URL`)
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw usageError(`${what} must be an http:// or https:// URL`)
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim()
}
