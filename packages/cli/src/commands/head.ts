import { booleanOption } from "../args"
import type { Command } from "../command"
import { onlyStream } from "./shared"

export const head: Command = {
  name: "head",
  usage: "head [url|name]",
  summary: "show a stream's metadata (HEAD): content type, tail offset, closed, expiry",
  details: "Prints `name: value` lines, or one JSON object with --json. Exits 2 (NOT_FOUND) if the stream is missing.",
  options: {
    json: { type: "boolean", description: "print one JSON object" },
  },
  async run(context, args) {
    const url = onlyStream(context, args.positionals)
    const info = await context.handle(url).head({ signal: context.signal })
    const fields = {
      url: context.show(url),
      contentType: info.contentType,
      offset: info.offset,
      closed: info.closed,
      ttlSeconds: info.ttlSeconds,
      expiresAt: info.expiresAt,
      etag: info.etag,
    }
    if (booleanOption(args.values, "json")) {
      await context.out(`${JSON.stringify(fields)}\n`)
      return
    }
    const lines = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${String(value)}`)
    await context.out(`${lines.join("\n")}\n`)
  },
}
