import { stringOption, wholeNumberOption } from "../args"
import type { Command } from "../command"
import { startInspector } from "../inspector/server"
import { ENV } from "../target"
import { usageError } from "../usage-error"

export const inspect: Command = {
  name: "inspect",
  usage: "inspect [url|name]",
  summary: "open a local web page that tails a stream live: messages, State Protocol rows, health",
  details:
    "Serves the page on loopback and prints its address on stdout; runs until Ctrl-C. Given a stream URL it\n" +
    "opens that stream; given a URL ending in / (or DURABLE_STREAM_BASE_URL) it asks for a stream name under\n" +
    "it. The page reads through this process, so your headers and token never reach the browser, and only\n" +
    "reads (GET, HEAD) under that URL prefix are passed on.",
  options: {
    port: { type: "string", value: "port", description: "port to listen on (default: any free port)" },
    host: { type: "string", value: "host", description: "loopback address: 127.0.0.1 (default), ::1 or localhost" },
  },
  async run(context, args) {
    if (args.positionals.length > 1) throw usageError("too many arguments (expected one URL)")
    const given = args.positionals[0]
    let url: string
    if (given === undefined && !context.env[ENV.url]?.trim() && context.baseUrl !== undefined) {
      url = context.baseUrl.endsWith("/") ? context.baseUrl : `${context.baseUrl}/`
    } else {
      url = context.streamUrl(given)
    }
    const host = stringOption(args.values, "host") ?? "127.0.0.1"
    if (!["127.0.0.1", "::1", "localhost"].includes(host)) throw usageError("--host must be a loopback address: 127.0.0.1, ::1 or localhost")
    const inspector = await startInspector({
      url,
      headers: context.headers,
      host,
      port: wholeNumberOption(args.values, "port", 65535) ?? 0,
      ...(context.fetch ? { fetch: context.fetch } : {}),
    })
    try {
      await context.out(`${inspector.url}\n`)
      context.progress(`inspecting ${context.show(url)}: open ${inspector.url} (Ctrl-C to stop)`)
      await new Promise<void>((resolve) => {
        if (context.signal.aborted) resolve()
        else context.signal.addEventListener("abort", () => resolve(), { once: true })
      })
    } finally {
      await inspector.stop()
    }
  },
}
