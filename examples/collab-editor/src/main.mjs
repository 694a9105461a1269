// @ts-check
// `pnpm --filter @durable-client/example-collab-editor start`: starts the demo
// and keeps it running until Ctrl-C.
import { startCollabDemo } from "./demo.mjs"

const port = Number(process.env.PORT ?? 5182)
const demo = await startCollabDemo({ port, production: true })
console.log("durable-client collaborative editor demo")
console.log(`  Durable Streams reference server: ${demo.streamServerUrl} (document in ${demo.docUrl})`)
console.log(`  open ${demo.url} in two windows and type in either`)
console.log("  Ctrl-C to stop")

let stopping = false
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
  process.on(signal, () => {
    if (stopping) process.exit(1)
    stopping = true
    console.log("\nstopping…")
    // Open browser windows may hold connections; don't wait on them for long.
    const forced = setTimeout(() => process.exit(0), 2_000)
    forced.unref()
    void demo.stop().then(() => process.exit(0))
  })
}
