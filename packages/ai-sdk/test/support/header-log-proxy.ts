// A recording reverse proxy in front of the reference server: every request
// it forwards is logged with its method, path and headers, so tests can
// check server-side what each request carried (an auth header on every
// read, each long-poll, each SSE reconnect).
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo, Socket } from "node:net"

export interface LoggedRequest {
  method: string
  /** Path and query, as received. */
  path: string
  headers: IncomingHttpHeaders
}

export interface HeaderLogProxy {
  /** Origin of the proxy. */
  readonly url: string
  readonly requests: LoggedRequest[]
  /** Requests whose answer is still open (a live long-poll or SSE connection). */
  readonly open: number
  /** Cuts every open connection, as a network drop would. */
  dropConnections(): void
  stop(): Promise<void>
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "proxy-connection"])

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)))
}

export async function startHeaderLogProxy(target: string): Promise<HeaderLogProxy> {
  const upstream = new URL(target)
  const requests: LoggedRequest[] = []
  const sockets = new Set<Socket>()
  let open = 0
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers })
    open++
    res.on("close", () => open--)
    const forward = httpRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...endToEnd(req.headers), host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers))
        answer.pipe(res)
      }
    )
    forward.on("error", () => res.destroy())
    res.on("close", () => forward.destroy())
    req.pipe(forward)
  })
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready))
  const { port } = server.address() as AddressInfo
  let stopping: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get open() {
      return open
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy()
    },
    stop() {
      stopping ??= new Promise<void>((done) => {
        server.close(() => done())
        for (const socket of sockets) socket.destroy()
      })
      return stopping
    },
  }
}
