// The real Durable Streams reference server, in memory on loopback.
import { Server } from "node:http"
import { DurableStreamTestServer } from "@durable-streams/server"

/**
 * Starts the reference server on 127.0.0.1 with an ephemeral port. A short
 * long-poll wait keeps idle polls (and SSE keep-alives) frequent, so a run
 * never sits on a 30 s server timeout.
 */
export async function startServer({ longPollTimeoutMs = 1000 } = {}) {
  // The port must be explicit: the constructor defaults to 4437.
  const server = new DurableStreamTestServer({ host: "127.0.0.1", port: 0, longPollTimeout: longPollTimeoutMs })
  const url = await server.start()
  return {
    url,
    async stop() {
      // stop() waits for keep-alive sockets to go idle; cut them instead.
      const http = Reflect.get(server, "server")
      const stopping = server.stop()
      if (http instanceof Server) http.closeAllConnections()
      await stopping
    },
  }
}
