import { ProtocolHeaders, flagHeader } from "@durable-client/state/internal"
import { stringOption, wholeNumberOption } from "../args"
import type { Command } from "../command"
import { FORK_HEADERS } from "../protocol"
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
    const from = new URL(source)
    if (from.origin !== new URL(target).origin) throw usageError("a fork must be on the same server as its source")
    if (source === target) throw usageError("the fork needs a URL of its own")

    const offset = stringOption(args.values, "offset")
    const subOffset = wholeNumberOption(args.values, "sub-offset")
    const ttl = wholeNumberOption(args.values, "ttl")
    const expiresAt = stringOption(args.values, "expires-at")
    if (ttl !== undefined && expiresAt !== undefined) throw usageError("--ttl and --expires-at exclude each other")
    if (subOffset !== undefined && offset === undefined) throw usageError("--sub-offset needs --offset")

    // A missing source fails here, with an error naming it. Its content type goes with the fork:
    // optional in the protocol, but a repeated fork is only recognised as the same (200, not 409)
    // when its settings match, content type included.
    const info = await context.handle(source).head({ signal: context.signal })
    // The source by its URL path, server prefix included (what the server keys streams by).
    const headers: Record<string, string> = { [FORK_HEADERS.forkedFrom]: from.pathname }
    if (info.contentType) headers[ProtocolHeaders.contentType] = info.contentType
    if (offset !== undefined) headers[FORK_HEADERS.forkOffset] = offset
    if (subOffset !== undefined && subOffset > 0) headers[FORK_HEADERS.forkSubOffset] = String(subOffset)
    if (ttl !== undefined) headers[ProtocolHeaders.ttl] = String(ttl)
    if (expiresAt !== undefined) headers[ProtocolHeaders.expiresAt] = expiresAt

    // The handle has no fork call yet: a PUT through its request(), so the CLI's headers, retries and
    // error handling apply. A PUT is idempotent (the same fork again answers 200), so retrying is safe.
    const result = await context.handle(target).request("create", {
      method: "PUT",
      headers,
      signal: context.signal,
      okStatuses: [200, 201],
      handle: async (response, reader) => {
        reader.discard()
        return {
          created: response.status === 201,
          offset: response.headers.get(ProtocolHeaders.nextOffset) ?? undefined,
          closed: flagHeader(response.headers, ProtocolHeaders.closed),
        }
      },
    })
    context.progress(
      `${result.created ? "forked" : "fork exists already, same settings:"} ${context.show(source)} at ${offset ?? "its tail"} → ${context.show(target)}`
    )
    await context.out(`${result.offset ?? ""}\n`)
  },
}
