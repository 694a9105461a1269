import type { Command } from "../command"
import { usageError } from "../usage-error"
import { FORMAT_OPTIONS, formatOf, parseJsonArgument, readAllInput, streamAndData, useJson } from "./shared"

export const close: Command = {
  name: "close",
  usage: "close [url|name] [data]",
  summary: "close a stream (no more appends); optionally append final data atomically",
  details:
    "Without data, closing a closed stream succeeds. With data (\"-\" reads stdin) it is appended and the stream\n" +
    "closed in one step; that fails with STREAM_CLOSED if it was closed already. On a JSON stream the data is\n" +
    "one JSON value. Prints the final offset on stdout.",
  options: FORMAT_OPTIONS,
  async run(context, args) {
    const { url, data } = streamAndData(context, args.positionals)
    const format = formatOf(args)
    const handle = context.handle(url)
    let body: Uint8Array | string | undefined
    if (data !== undefined) {
      const raw = data === "-" ? await readAllInput(context) : data
      if (raw.length === 0) throw usageError("the final data is empty (leave it out to just close)")
      const info = await handle.head({ signal: context.signal })
      if (useJson(format, info.contentType)) {
        const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw)
        body = `[${JSON.stringify(parseJsonArgument(text, "the final data"))}]`
      } else {
        body = raw
      }
    }
    const result = await handle.close({ ...(body !== undefined ? { body } : {}), signal: context.signal })
    context.progress(`closed ${context.show(url)}${body !== undefined ? " with final data" : ""}`)
    await context.out(`${result.offset ?? ""}\n`)
  },
}
