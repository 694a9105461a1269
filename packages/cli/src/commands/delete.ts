import type { Command } from "../command"
import { onlyStream } from "./shared"

export const remove: Command = {
  name: "delete",
  usage: "delete [url|name]",
  summary: "delete a stream (DELETE)",
  details: "A stream that has forks is soft-deleted: it answers 410 (GONE) until its last fork is deleted.",
  options: {},
  async run(context, args) {
    const url = onlyStream(context, args.positionals)
    await context.handle(url).delete({ signal: context.signal })
    context.progress(`deleted ${context.show(url)}`)
  },
}
