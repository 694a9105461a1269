import { Server, type IncomingMessage, type ServerResponse } from "node:http"
import { DurableStreamTestServer } from "@durable-streams/server"

/** One request as the reference server saw it. */
export interface LoggedRequest {
  /** Arrival order across the whole run. */
  index: number
  /** Milliseconds since the run started. */
  at: number
  method: string
  path: string
  /** Query parameters in the order they were sent. */
  queryKeys: string[]
  query: Record<string, string>
  headers: Record<string, string>
  /** Response status and headers, once the response has been sent (absent when the connection was cut). */
  status?: number
  responseHeaders?: Record<string, string>
}

/**
 * The reference server plus a log of every request it received, per stream
 * path, so cases can check what a client actually sent: headers, query
 * parameters and their order, retries and their spacing.
 */
export class ConformanceServer {
  private readonly log = new Map<string, LoggedRequest[]>()
  private counter = 0
  private readonly startedAt = Date.now()

  private constructor(
    private readonly reference: DurableStreamTestServer,
    private readonly http: Server,
    readonly url: string
  ) {}

  /**
   * Starts the reference server (@durable-streams/server) in memory on an
   * ephemeral loopback port. `longPollTimeoutMs` is how long it holds a
   * caught-up long-poll, and an idle SSE connection between keep-alives.
   */
  static async start(longPollTimeoutMs: number): Promise<ConformanceServer> {
    // The port must be explicit: the constructor's default is a fixed 4437.
    const reference = new DurableStreamTestServer({ host: "127.0.0.1", port: 0, longPollTimeout: longPollTimeoutMs })
    const url = (await reference.start()).replace(/\/+$/, "")
    // The http.Server is a private field of the test server; without it no
    // request could be observed, so fail loudly rather than run blind.
    const http: unknown = Reflect.get(reference, "server")
    if (!(http instanceof Server)) {
      await reference.stop()
      throw new Error("cannot observe requests: the reference server's http.Server was not found")
    }
    const server = new ConformanceServer(reference, http, url)
    http.prependListener("request", (req: IncomingMessage, res: ServerResponse) => server.record(req, res))
    return server
  }

  requests(path: string): LoggedRequest[] {
    return this.log.get(path) ?? []
  }

  /** Index the next request will get; cases use it to look only at later requests. */
  get nextIndex(): number {
    return this.counter
  }

  /**
   * Stops the server. Its own stop() ends pending long-polls and SSE streams,
   * but Node then closes only the connections idle at that instant; busy
   * keep-alive sockets would linger for seconds, so idle ones are swept until
   * the close completes and any left are cut after a second.
   */
  async stop(): Promise<void> {
    const stopping = this.reference.stop()
    const sweep = setInterval(() => this.http.closeIdleConnections(), 10)
    const force = setTimeout(() => this.http.closeAllConnections(), 1_000)
    try {
      await stopping
    } finally {
      clearInterval(sweep)
      clearTimeout(force)
    }
  }

  private record(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://placeholder")
    const query: Record<string, string> = {}
    const queryKeys: string[] = []
    url.searchParams.forEach((value, key) => {
      queryKeys.push(key)
      query[key] = value
    })
    const headers: Record<string, string> = {}
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(", ") : value
    }
    const entry: LoggedRequest = {
      index: this.counter++,
      at: Date.now() - this.startedAt,
      method: req.method ?? "GET",
      path: url.pathname,
      queryKeys,
      query,
      headers,
    }
    res.once("finish", () => {
      entry.status = res.statusCode
      const responseHeaders: Record<string, string> = {}
      for (const [key, value] of Object.entries(res.getHeaders())) {
        if (value !== undefined) responseHeaders[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value)
      }
      entry.responseHeaders = responseHeaders
    })
    const list = this.log.get(entry.path)
    if (list) list.push(entry)
    else this.log.set(entry.path, [entry])
  }
}
