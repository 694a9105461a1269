import { resolve } from "node:path"
import { DurableStream, type FetchLike } from "@durable-client/state"
import { booleanOption, listOption, stringOption, wholeNumberOption, type ParsedArgs } from "./args"
import { writeTo, type CliEnvironment, type CliInput, type CliOutput } from "./io"
import { createRedactor, urlSecrets, type Redactor } from "./redact"
import { collectHeaders } from "./request-headers"
import { baseUrlFrom, ENV, resolveStreamUrl, type Environment } from "./target"

/** What a command works with: resolved settings and the outside world. */
export interface CommandContext {
  readonly env: Environment
  readonly stdin: CliInput | undefined
  readonly signal: AbortSignal
  readonly headers: Readonly<Record<string, string>>
  readonly baseUrl: string | undefined
  readonly fetch: FetchLike | undefined
  readonly cwd: string
  /** Resolves a stream URL or name (or DURABLE_STREAM_URL when `given` is undefined). */
  streamUrl(given: string | undefined): string
  /** A byte handle with the CLI's headers, fetch and retries. */
  handle(url: string, contentType?: string): DurableStream
  /** Writes program output (data, offsets, metadata) to stdout. */
  out(chunk: Uint8Array | string): Promise<void>
  /** A progress line on stderr (`durable-client: …`), unless --quiet. Secrets redacted. */
  progress(line: string): void
  /** A result line on stderr that --quiet keeps (`offset=…`). Secrets redacted. */
  note(line: string): void
  /** A URL as it may be shown: no credentials, no query values. */
  show(url: string): string
  /** Every printed line goes through this. */
  readonly redact: Redactor
  resolvePath(path: string): string
}

/** Settings every command shares, from the global options and the environment. */
export function createContext(io: CliEnvironment, args: ParsedArgs, signal: AbortSignal): CommandContext {
  const env = io.env ?? {}
  const values = args.values
  const headers = collectHeaders({ flags: listOption(values, "header"), token: stringOption(values, "token"), env })
  const baseUrl = baseUrlFrom(stringOption(values, "base-url"), env)
  const maxRetries = wholeNumberOption(values, "retries", 100)
  const quiet = booleanOption(values, "quiet")

  const secrets = [
    ...Object.values(headers),
    ...[env[ENV.url], baseUrl].flatMap((url) => (url ? urlSecrets(url) : [])),
    ...args.positionals.filter((arg) => /^https?:\/\//i.test(arg)).flatMap(urlSecrets),
  ]
  const redact = createRedactor(secrets)
  const line = (output: CliOutput, text: string) => output.write(`${redact(text).replace(/\r?\n/g, " ")}\n`)
  const progress = (text: string) => {
    if (!quiet) line(io.stderr, `durable-client: ${text}`)
  }
  const fetch = reportingFetch(io.fetch, progress)
  const cwd = io.cwd ?? process.cwd()

  return {
    env,
    stdin: io.stdin,
    signal,
    headers,
    baseUrl,
    fetch,
    cwd,
    redact,
    streamUrl: (given) => resolveStreamUrl(given, baseUrl, env),
    handle: (url, contentType) =>
      new DurableStream({
        url,
        headers,
        fetch,
        ...(contentType ? { contentType } : {}),
        ...(maxRetries !== undefined ? { retry: { maxRetries } } : {}),
      }),
    out: (chunk) => writeTo(io.stdout, chunk),
    progress,
    note: (text) => line(io.stderr, text),
    show: (url) => redact(showUrl(url)),
    resolvePath: (path) => resolve(cwd, path),
  }
}


/** `https://user:pw@host/a?token=x` → `https://host/a?token=…`. */
export function showUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ""
    parsed.password = ""
    const keys = [...new Set(parsed.searchParams.keys())]
    const query = keys.map((key) => `${encodeURIComponent(key)}=…`).join("&")
    return `${parsed.origin}${parsed.pathname}${query ? `?${query}` : ""}`
  } catch {
    return "(invalid URL)"
  }
}

/**
 * Wraps fetch so a failing attempt shows as progress before the SDK retries
 * it: otherwise a CLI against a down server would sit silent through its
 * whole backoff (about 25 s at the default 8 retries).
 */
function reportingFetch(base: FetchLike | undefined, progress: (line: string) => void): FetchLike {
  return async (input, init) => {
    const fetch = base ?? globalThis.fetch
    let response: Response
    try {
      response = await fetch(input, init)
    } catch (error) {
      if (!init.signal?.aborted) progress(`${init.method ?? "GET"} ${showUrl(input)}: network error (${reasonOf(error)})`)
      throw error
    }
    if (response.status === 429 || response.status >= 500) {
      progress(`${init.method ?? "GET"} ${showUrl(input)}: server answered ${response.status}`)
    }
    return response
  }
}

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
  if (typeof cause?.code === "string") return cause.code
  if (error instanceof Error) return error.message
  return String(error)
}
