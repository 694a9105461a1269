import { isJsonContentType } from "@durable-client/state/internal"
import { booleanOption, stringOption, wholeNumberOption } from "../args"
import type { Command } from "../command"
import { createJsonSequence } from "../json-sequence"
import { usageError } from "../usage-error"
import { parseJsonArgument, readAllInput, streamAndData } from "./shared"

export const create: Command = {
  name: "create",
  usage: "create [url|name] [data]",
  summary: "create a stream (PUT); succeeds if it exists with the same settings",
  details:
    "The data, if given, is the stream's initial content (\"-\" reads it from stdin). With --json it is\n" +
    "JSON: each value one message. Prints the stream's tail offset on stdout.",
  options: {
    "content-type": { type: "string", value: "type", description: "content type (default application/octet-stream, or application/json with --json)" },
    json: { type: "boolean", description: "a JSON stream (application/json); data is JSON values" },
    ttl: { type: "string", value: "seconds", description: "delete the stream after this many idle seconds" },
    "expires-at": { type: "string", value: "time", description: "delete the stream at this RFC 3339 time" },
    closed: { type: "boolean", description: "create it closed (its data is all it will ever hold)" },
  },
  async run(context, args) {
    const { url, data } = streamAndData(context, args.positionals)
    const json = booleanOption(args.values, "json")
    const given = stringOption(args.values, "content-type")
    if (json && given !== undefined && !isJsonContentType(given)) {
      throw usageError(`--json makes an application/json stream; --content-type ${given} contradicts it`)
    }
    const contentType = given ?? (json ? "application/json" : "application/octet-stream")
    const ttlSeconds = wholeNumberOption(args.values, "ttl")
    const expiresAt = stringOption(args.values, "expires-at")
    if (ttlSeconds !== undefined && expiresAt !== undefined) throw usageError("--ttl and --expires-at exclude each other")

    let body: Uint8Array | string | undefined
    if (data !== undefined) {
      const raw = data === "-" ? await readAllInput(context) : data
      body = isJsonContentType(contentType) ? jsonBody(typeof raw === "string" ? raw : new TextDecoder().decode(raw)) : raw
    }

    const handle = context.handle(url)
    const result = await handle.create({
      contentType,
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      ...(expiresAt !== undefined ? { expiresAt } : {}),
      closed: booleanOption(args.values, "closed"),
      ...(body !== undefined && body.length > 0 ? { body } : {}),
      signal: context.signal,
    })
    context.progress(`${result.created ? "created" : "exists already, same settings:"} ${context.show(url)} (${result.contentType ?? contentType})`)
    await context.out(`${result.offset ?? ""}\n`)
  },
}

/** JSON values (one per message) as the body of a JSON stream: `[v1,v2,…]`. */
function jsonBody(text: string): string {
  const sequence = createJsonSequence()
  const values = [...sequence.push(text), ...sequence.end()].map((value, index) =>
    JSON.stringify(parseJsonArgument(value, `initial JSON value #${index + 1}`))
  )
  return `[${values.join(",")}]`
}
