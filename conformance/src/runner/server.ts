import { Server, type IncomingMessage, type ServerResponse } from "node:http"
import { startReferenceServer, type ReferenceServer } from "@durable-client/testing"

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

  private constructor(readonly reference: ReferenceServer) {}

  static async start(longPollTimeoutMs: number): Promise<ConformanceServer> {
    const reference = await startReferenceServer({ longPollTimeoutMs })
    const server = new ConformanceServer(reference)
    // The http.Server is a private field of the test server; the reference
    // helper in @durable-client/testing reaches for it the same way.
    const http: unknown = Reflect.get(reference.server, "server")
    if (!(http instanceof Server)) {
      throw new Error("cannot observe requests: the reference server's http.Server was not found")
    }
    http.prependListener("request", (req: IncomingMessage, res: ServerResponse) => server.record(req, res))
    return server
  }

  get url(): string {
    return this.reference.url
  }

  requests(path: string): LoggedRequest[] {
    return this.log.get(path) ?? []
  }

  /** Index the next request will get; cases use it to look only at later requests. */
  get nextIndex(): number {
    return this.counter
  }

  stop(): Promise<void> {
    return this.reference.stop()
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
