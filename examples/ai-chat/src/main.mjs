// @ts-check
// `pnpm --filter @durable-client/example-ai-chat start`: starts the demo and
// keeps it running until Ctrl-C.
import { startAiChatDemo } from "./demo.mjs"

const port = Number(process.env.PORT ?? 5182)
const demo = await startAiChatDemo({ port })
console.log("durable-client AI chat demo (useChat + DurableChatTransport, mock model)")
console.log(`  Durable Streams reference server: ${demo.streamServerUrl}`)
console.log(`  open ${demo.url} , send a message, and reload the page while the answer streams in`)
console.log("  open the same address in a second window to watch the same answer live")
console.log("  Ctrl-C to stop")

let stopping = false
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.on(signal, () => {
    if (stopping) process.exit(1)
    stopping = true
    console.log("\nstopping…")
    // Open browser tabs may hold connections; don't wait on them for long.
    const forced = setTimeout(() => process.exit(0), 2_000)
    forced.unref()
    void demo.stop().then(() => process.exit(0))
  })
}
