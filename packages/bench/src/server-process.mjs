// The reference server runs in its own process so the benchmark process's CPU
// time and heap are the client's alone.
import { DurableStreamTestServer } from "@durable-streams/server"

const server = new DurableStreamTestServer({ host: "127.0.0.1", port: 0, longPollTimeout: 5_000, compression: false })
const url = await server.start()
process.send?.({ url })
process.on("message", async (message) => {
  if (message === "stop") {
    await server.stop()
    process.exit(0)
  }
})
