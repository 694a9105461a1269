import { isJsonContentType } from "@durable-client/state/internal"
import type { OptionSpecs, ParsedArgs } from "../args"
import { booleanOption } from "../args"
import type { CommandContext } from "../context"
import { createJsonSequence } from "../json-sequence"
import { ENV, looksLikeUrl } from "../target"
import { usageError } from "../usage-error"

export const FORMAT_OPTIONS: OptionSpecs = {
  json: { type: "boolean", description: "JSON messages (the default for application/json streams)" },
  raw: { type: "boolean", description: "bytes as they are, even for a JSON stream" },
}

/**
 * `[url|name] [data]`. Two arguments are the stream and the data. One is the
 * stream, unless DURABLE_STREAM_URL names the stream and the argument is not
 * a URL: then it is the data.
 */
export function streamAndData(context: CommandContext, positionals: readonly string[]): { url: string; data: string | undefined } {
  if (positionals.length > 2) throw usageError(`too many arguments (at most a stream and the data; quote data with spaces)`)
  const [first, second] = positionals
  if (positionals.length === 2) return { url: context.streamUrl(first), data: second }
  const envUrl = context.env[ENV.url]?.trim()
  if (first !== undefined && envUrl && !looksLikeUrl(first)) return { url: context.streamUrl(undefined), data: first }
  return { url: context.streamUrl(first), data: undefined }
}

export function onlyStream(context: CommandContext, positionals: readonly string[]): string {
  if (positionals.length > 1) throw usageError(`too many arguments (expected one stream URL or name)`)
  return context.streamUrl(positionals[0])
}

/** `--json` / `--raw` / neither (decided by the stream's content type). */
export function formatOf(args: ParsedArgs): "json" | "raw" | "auto" {
  const json = booleanOption(args.values, "json")
  const raw = booleanOption(args.values, "raw")
  if (json && raw) throw usageError("--json and --raw exclude each other")
  return json ? "json" : raw ? "raw" : "auto"
}

/** Whether to treat a stream as JSON messages, given the flag and its content type. */
export function useJson(format: "json" | "raw" | "auto", contentType: string | undefined): boolean {
  const isJson = isJsonContentType(contentType)
  if (format === "json" && !isJson) {
    throw usageError(`--json needs an application/json stream (this one is ${contentType ?? "of unknown type"}); drop --json`)
  }
  return format === "json" || (format === "auto" && isJson)
}

/** Parses one JSON value given on the command line. */
export function parseJsonArgument(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw usageError(`${what} is not valid JSON (${(error as Error).message})`)
  }
}

/**
 * Input as it arrives: chunks of bytes, or JSON values (`json`), from stdin.
 * Stops early when the command is interrupted.
 */
export async function* readInput(context: CommandContext, json: boolean): AsyncGenerator<Uint8Array | { value: unknown }> {
  const stdin = context.stdin
  if (!stdin) return
  if (stdin.isTTY) context.progress(`reading ${json ? "JSON values" : "data"} from stdin (Ctrl-D to end)`)
  const decoder = new TextDecoder()
  const sequence = createJsonSequence()
  let count = 0
  const parse = (text: string) => {
    count++
    return { value: parseJsonArgument(text, `stdin value #${count}`) }
  }
  for await (const chunk of untilAborted(stdin, context.signal)) {
    const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk
    if (!json) {
      if (bytes.length > 0) yield bytes
      continue
    }
    for (const text of sequence.push(decoder.decode(bytes, { stream: true }))) yield parse(text)
  }
  if (json && !context.signal.aborted) {
    for (const text of sequence.push(decoder.decode())) yield parse(text)
    for (const text of sequence.end()) yield parse(text)
  }
}

/** Reads all of stdin (for `create -` and `close -`). */
export async function readAllInput(context: CommandContext): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of readInput(context, false)) parts.push(chunk as Uint8Array)
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/**
 * The input's chunks until it ends or the command is interrupted. A terminal
 * may send nothing for a long time: waiting for its next chunk must not
 * hold up a Ctrl-C, so each read races the signal.
 */
async function* untilAborted<T>(input: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  if (signal.aborted) return
  const iterator = input[Symbol.asyncIterator]()
  let onAbort: () => void = () => undefined
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted")
    signal.addEventListener("abort", onAbort, { once: true })
  })
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted])
      if (next === "aborted" || next.done) return
      yield next.value
    }
  } finally {
    signal.removeEventListener("abort", onAbort)
    // Releases the input (for process.stdin: stops reading it), also when we stopped early.
    void iterator.return?.()
  }
}
