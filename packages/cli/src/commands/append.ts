import { randomBytes } from "node:crypto"
import { IdempotentProducer, JsonStream, type DurableStream, type ProducerAppendResult } from "@durable-client/state"
import { isJsonContentType } from "@durable-client/state/internal"
import type { Command } from "../command"
import type { CommandContext } from "../context"
import { usageError } from "../usage-error"
import { FORMAT_OPTIONS, formatOf, parseJsonArgument, readAllInput, readInput, streamAndData, useJson } from "./shared"

export const append: Command = {
  name: "append",
  usage: "append [url|name] [data]",
  summary: "append data from the argument, or from stdin as it arrives",
  details:
    "Without data (or with \"-\") stdin is appended as it arrives, so `tail -f log | durable-client append …`\n" +
    "streams. On a JSON stream the data is JSON: each value one message (JSON lines, concatenated\n" +
    "or pretty-printed values). Writes go through one idempotent producer per run, so a retried request\n" +
    "is never stored twice. Prints the stream's tail offset after the last append on stdout.\n" +
    "With --raw on a JSON stream the whole input is sent as one request body, as it is (the server\n" +
    "stores each element of a top-level array as a message); such a request is not retried once sent.",
  options: {
    ...FORMAT_OPTIONS,
    "producer-id": {
      type: "string",
      value: "id",
      description: "producer id (default: a random cli-… id per run); a reused id claims a new epoch, fencing older runs",
    },
  },
  async run(context, args) {
    const { url, data } = streamAndData(context, args.positionals)
    const format = formatOf(args)
    if (data === "") throw usageError("the data is empty (the protocol has no empty appends)")
    const handle = context.handle(url)
    const info = await handle.head({ signal: context.signal })
    const json = useJson(format, info.contentType)
    if (!json && isJsonContentType(info.contentType)) return appendRawJson(context, handle, data)
    const producerId = args.values["producer-id"]
    // A named producer is reused across runs: each run claims the next epoch (fencing an older run
    // still writing with it). Without auto-claim a second run would start at the same epoch and
    // seq, and the server would take its first batch for a duplicate (STALE_EPOCH).
    const producer =
      typeof producerId === "string"
        ? new IdempotentProducer(json ? JsonStream.from(handle) : handle, producerId, { autoClaim: true })
        : new IdempotentProducer(json ? JsonStream.from(handle) : handle, `cli-${randomBytes(6).toString("hex")}`)

    let last = info.offset
    let messages = 0
    let bytes = 0
    const settled: Array<Promise<ProducerAppendResult>> = []
    const send = (value: unknown, size: number) => {
      messages++
      bytes += size
      const result = producer.append(value as Uint8Array)
      settled.push(result)
      result.then(
        ({ offset }) => {
          if (offset !== undefined && (last === undefined || offset > last)) last = offset
        },
        () => undefined
      )
    }

    try {
      if (data !== undefined && data !== "-") {
        send(json ? parseJsonArgument(data, "the data") : data, new TextEncoder().encode(data).length)
      } else {
        for await (const item of readInput(context, json)) {
          if (item instanceof Uint8Array) send(item, item.length)
          else send(item.value, JSON.stringify(item.value)?.length ?? 0)
          // Backpressure: a fast stdin waits for the server instead of filling memory.
          await producer.waitForCapacity()
        }
      }
      // Not given the interrupt signal: what was read is still stored (a second Ctrl-C quits at once).
      await producer.flush()
    } finally {
      await producer.detach().catch(() => undefined)
    }
    await Promise.all(settled)
    if (context.signal.aborted) context.progress(`interrupted: stopped reading stdin after ${messages} ${json ? "messages" : "chunks"}`)
    context.progress(
      messages === 0
        ? `nothing to append to ${context.show(url)}`
        : `appended ${messages} ${json ? (messages === 1 ? "message" : "messages") : messages === 1 ? "chunk" : "chunks"} (${bytes} bytes) to ${context.show(url)}`
    )
    await context.out(`${last ?? ""}\n`)
  },
}

/**
 * `--raw` on a JSON stream: the bytes as one body, which the server parses
 * (PROTOCOL §7: a top-level array is one message per element). Not through
 * the producer, which would send the text as one JSON string; and not in
 * pieces, since a piece of JSON is not JSON.
 */
async function appendRawJson(context: CommandContext, handle: DurableStream, data: string | undefined): Promise<void> {
  const body = data !== undefined && data !== "-" ? data : await readAllInput(context)
  if (body.length === 0) {
    context.progress(`nothing to append to ${context.show(handle.url)}`)
    await context.out(`${(await handle.head({ signal: context.signal })).offset ?? ""}\n`)
    return
  }
  const result = await handle.append(body, { signal: context.signal })
  context.progress(`appended ${body.length} bytes as they are to ${context.show(handle.url)}`)
  await context.out(`${result.offset ?? ""}\n`)
}
