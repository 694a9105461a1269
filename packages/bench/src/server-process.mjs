// The reference server runs in its own process so the benchmark process's CPU
// time and heap are the client's alone.
import { DurableStreamTestServer } from "@durable-streams/server"

/**
 * Streams under this path prefix are answered in responses of at most
 * LARGE_RESPONSE_CAP bytes (whole messages; at least one), as a production
 * server caps a catch-up response; the reference test server answers with
 * everything from the offset at once. Without the cap a 200 MB catch-up is
 * one 200 MB response, and whether a reader keeps what it already handed
 * out could not show.
 */
const CAPPED_PREFIX = "/bench/large-"
const LARGE_RESPONSE_CAP = 8 * 1024 * 1024

const longPollTimeout = Number(process.env.BENCH_LONG_POLL_MS ?? 5_000)
const server = new DurableStreamTestServer({ host: "127.0.0.1", port: 0, longPollTimeout, compression: false })
capLargeResponses(server.store)
const url = await server.start()
process.send?.({ url })
process.on("message", async (message) => {
  if (message === "stop") {
    await server.stop()
    process.exit(0)
  }
})

function capLargeResponses(store) {
  const read = store.read.bind(store)
  store.read = (path, offset) => {
    const result = read(path, offset)
    if (!path.startsWith(CAPPED_PREFIX)) return result
    let bytes = 0
    let taken = 0
    while (taken < result.messages.length && (taken === 0 || bytes + result.messages[taken].data.length <= LARGE_RESPONSE_CAP)) {
      bytes += result.messages[taken].data.length
      taken++
    }
    if (taken === result.messages.length) return result
    // Not up to date: the reader asks again from the last message's offset.
    return { messages: result.messages.slice(0, taken), upToDate: false }
  }
}
