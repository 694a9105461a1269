import { forkStream } from "@durable-client/state"
import { stringOption, wholeNumberOption } from "../args"
import type { Command } from "../command"
import { usageError } from "../usage-error"

export const fork: Command = {
  name: "fork",
  usage: "fork [source] <target>",
  summary: "create <target> as a fork of <source>: its data up to an offset, then its own",
  details:
    "The fork shares the source's data before --offset (default: the source's tail) without copying it,\n" +
    "then takes its own appends. Both streams must be on the same server. With one argument the source\n" +
    "is DURABLE_STREAM_URL. Prints the fork's tail offset on stdout.",
  options: {
    offset: { type: "string", value: "offset", description: "fork point: an offset the server returned (default: the source's tail)" },
    "sub-offset": {
      type: "string",
      value: "n",
      description: "split further past --offset: messages for JSON streams, bytes otherwise",
    },
    ttl: { type: "string", value: "seconds", description: "the fork's idle TTL (default: inherited from the source)" },
    "expires-at": { type: "string", value: "time", description: "the fork's expiry time (default: inherited from the source)" },
  },
  async run(context, args) {
    const positionals = args.positionals
    if (positionals.length === 0 || positionals.length > 2) throw usageError("give the source and the target (or only the target, with DURABLE_STREAM_URL as source)")
    const source = context.streamUrl(positionals.length === 2 ? positionals[0] : undefined)
    const target = context.streamUrl(positionals[positionals.length - 1])
    if (new URL(source).origin !== new URL(target).origin) throw usageError("a fork must be on the same server as its source")
    if (source === target) throw usageError("the fork needs a URL of its own")

    const offset = stringOption(args.values, "offset")
    const subOffset = wholeNumberOption(args.values, "sub-offset")
    const ttl = wholeNumberOption(args.values, "ttl")
    const expiresAt = stringOption(args.values, "expires-at")
    if (ttl !== undefined && expiresAt !== undefined) throw usageError("--ttl and --expires-at exclude each other")
    if (subOffset !== undefined && offset === undefined) throw usageError("--sub-offset needs --offset")

    // The SDK's fork: the source's content type goes with it (a repeated fork is recognised as the
    // same, 200 not 409), the CLI's headers, retries and deadlines apply, and each failure is typed.
    const result = await forkStream(context.handle(source), {
      url: target,
      offset,
      subOffset: subOffset !== undefined && subOffset > 0 ? subOffset : undefined,
      ttlSeconds: ttl,
      expiresAt,
      signal: context.signal,
    })
    context.progress(
      `${result.created ? "forked" : "fork exists already, same settings:"} ${context.show(source)} at ${offset ?? "its tail"} → ${context.show(target)}`
    )
    await context.out(`${result.offset ?? ""}\n`)
  },
}
