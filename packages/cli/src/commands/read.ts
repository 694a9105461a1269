import { readFile, rename, writeFile } from "node:fs/promises"
import { JsonReadSession, JsonStream, type LiveMode, type SessionStatus } from "@durable-client/state"
import { booleanOption, stringOption, type OptionSpecs, type ParsedArgs } from "../args"
import type { Command } from "../command"
import type { CommandContext } from "../context"
import { usageError } from "../usage-error"
import { FORMAT_OPTIONS, formatOf, onlyStream, useJson } from "./shared"

const READ_OPTIONS: OptionSpecs = {
  offset: { type: "string", value: "offset", description: "where to start: -1 (the beginning), now (the tail) or a saved offset" },
  "offset-file": {
    type: "string",
    value: "path",
    description: "start from the offset saved in this file (if it exists) and save the offset after every batch",
  },
  live: { type: "boolean", description: "keep following new data (SSE, falling back to long-poll)" },
  sse: { type: "boolean", description: "follow live by SSE" },
  "long-poll": { type: "boolean", description: "follow live by long-poll" },
  ...FORMAT_OPTIONS,
}

const OUTPUT_NOTE =
  "Data goes to stdout: raw bytes, or one JSON message per line for application/json streams.\n" +
  "When the read ends (caught up, stream closed, Ctrl-C or an error) the offset to resume from is\n" +
  "printed on stderr as a last line `offset=<offset>`; pass it back with --offset to continue exactly there."

export const read: Command = {
  name: "read",
  usage: "read [url|name]",
  summary: "print a stream from an offset; with --live, keep following it",
  details: `Reads from --offset (default -1, the beginning) until caught up, or follows live.\n${OUTPUT_NOTE}`,
  options: READ_OPTIONS,
  run: (context, args) => readStream(context, args, { offset: "-1", live: false }),
}

export const tail: Command = {
  name: "tail",
  usage: "tail [url|name]",
  summary: "follow new data live (read --offset now --live)",
  details: `Like \`tail -f\`: starts at the tail (or --offset) and follows live until Ctrl-C or the stream closes.\n${OUTPUT_NOTE}`,
  options: READ_OPTIONS,
  run: (context, args) => readStream(context, args, { offset: "now", live: "auto" }),
}

async function readStream(
  context: CommandContext,
  args: ParsedArgs,
  defaults: { offset: string; live: LiveMode }
): Promise<number | void> {
  const url = onlyStream(context, args.positionals)
  const format = formatOf(args)
  const live = liveModeOf(args, defaults.live)
  const offsetFile = stringOption(args.values, "offset-file")
  const offsetPath = offsetFile === undefined ? undefined : context.resolvePath(offsetFile)
  let offset = stringOption(args.values, "offset") ?? (offsetPath ? await savedOffset(offsetPath) : undefined) ?? defaults.offset
  if (offset === "") throw usageError("--offset is empty")

  const handle = context.handle(url)
  const info = await handle.head({ signal: context.signal })
  const json = useJson(format, info.contentType)
  context.progress(`reading ${context.show(url)} (${info.contentType ?? "unknown type"}) from offset ${offset}${live ? `, live (${live})` : ""}`)

  const options = { offset, live, signal: context.signal }
  const session = json ? JsonStream.from(handle).read(options) : handle.read(options)
  let reported: string | undefined
  const report = () => {
    const text = describeStatus(session.status, session.liveTransport)
    if (text !== undefined && text !== reported) context.progress((reported = text))
  }
  // The transport is known only once a live request is answered, after the status turned live.
  const stopListening = session.onStatusChange(report)
  let upToDate = false
  let closed = false
  // The offset moves only once a batch is written out: it is where a later read continues.
  const delivered = async (batch: { offset: string; upToDate: boolean; closed: boolean }) => {
    offset = batch.offset
    ;({ upToDate, closed } = batch)
    if (offsetPath) await saveOffset(offsetPath, offset)
    report()
  }
  try {
    if (session instanceof JsonReadSession) {
      for await (const batch of session) {
        if (batch.items.length > 0) await context.out(batch.items.map((item) => `${JSON.stringify(item)}\n`).join(""))
        await delivered(batch)
      }
    } else {
      for await (const chunk of session) {
        if (chunk.data.length > 0) await context.out(chunk.data)
        await delivered(chunk)
      }
    }
    if (closed) context.progress("end of stream: it is closed")
    else if (upToDate && !live) context.progress("caught up")
  } finally {
    stopListening()
    // The resume point is the last line however the read ends: caught up, closed, interrupted or failed.
    context.note(`offset=${offset}`)
  }
}

function liveModeOf(args: ParsedArgs, fallback: LiveMode): LiveMode {
  const chosen = (["sse", "long-poll"] as const).filter((mode) => booleanOption(args.values, mode))
  if (chosen.length > 1) throw usageError("--sse and --long-poll exclude each other")
  if (chosen[0]) return chosen[0]
  return booleanOption(args.values, "live") ? "auto" : fallback
}

function describeStatus(status: SessionStatus, transport: string | undefined): string | undefined {
  if (status === "live") return transport ? `live (${transport}), waiting for new data` : "caught up, going live…"
  if (status === "backoff") return "connection failed, retrying…"
  if (status === "catching-up") return "catching up…"
  return undefined
}

async function savedOffset(path: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path, "utf8")).trim()
    return text === "" ? undefined : text
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined
    throw usageError(`cannot read --offset-file: ${(error as Error).message}`)
  }
}

/** Written to a temporary file and renamed, so a crash never leaves half an offset. */
async function saveOffset(path: string, offset: string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`
  await writeFile(temporary, `${offset}\n`)
  await rename(temporary, path)
}
