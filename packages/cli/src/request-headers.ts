import { ENV, type Environment } from "./target"
import { usageError } from "./usage-error"

// RFC 9110 §5.6.2: a header name is a token.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

export interface HeaderSources {
  /** `--header` values, in order. */
  flags: readonly string[]
  /** `--token`. */
  token: string | undefined
  env: Environment
}

/**
 * The headers sent on every request, lowest precedence first:
 * DURABLE_STREAM_HEADERS (one `Name: value` per line), DURABLE_STREAM_TOKEN,
 * `--header`, `--token`. A token becomes `Authorization: Bearer <token>`.
 * Names are compared case-insensitively; a later one replaces an earlier one.
 * Errors name where the header came from and its name, never its value.
 */
export function collectHeaders(sources: HeaderSources): Record<string, string> {
  const headers = new Map<string, [string, string]>()
  const set = (name: string, value: string) => headers.set(name.toLowerCase(), [name, value])

  const fromEnv = sources.env[ENV.headers]
  if (fromEnv !== undefined) {
    fromEnv.split(/\r?\n/).forEach((line, index) => {
      if (line.trim() !== "") set(...parseHeader(line, `${ENV.headers} line ${index + 1}`))
    })
  }
  const envToken = sources.env[ENV.token]?.trim()
  if (envToken) set("Authorization", bearer(envToken, ENV.token))
  sources.flags.forEach((line, index) => set(...parseHeader(line, `--header #${index + 1}`)))
  if (sources.token !== undefined) set("Authorization", bearer(sources.token.trim(), "--token"))

  return Object.fromEntries([...headers.values()])
}

/** `Name: value` → `[name, value]`; the value is trimmed and may be empty. */
export function parseHeader(line: string, where: string): [string, string] {
  const colon = line.indexOf(":")
  if (colon <= 0) throw usageError(`${where} is not in the form "Name: value"`)
  const name = line.slice(0, colon).trim()
  const value = line.slice(colon + 1).trim()
  if (!TOKEN.test(name)) throw usageError(`${where}: "${name}" is not a valid header name`)
  if (/[\r\n\0]/.test(value)) throw usageError(`${where}: the value of ${name} contains a line break or NUL`)
  return [name, value]
}

function bearer(token: string, where: string): string {
  if (token === "") throw usageError(`${where} is empty`)
  if (/[\s\0]/.test(token)) throw usageError(`${where} contains whitespace; pass a full header with --header "Authorization: …" instead`)
  return `Bearer ${token}`
}
