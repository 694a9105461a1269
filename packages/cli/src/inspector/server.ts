import { readFile } from "node:fs/promises"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import type { FetchLike } from "@durable-client/state"
import { INSPECTOR_HTML } from "./page-html"
import { forwardRead } from "./proxy"
import { inspectTarget, upstreamUrl, type InspectTarget } from "./target"

/** Options of `startInspector`. */
export interface InspectorOptions {
  /** A stream URL (opened at once) or a URL prefix ending in `/` (the page asks for a name). */
  url: string
  /** Sent upstream with every read; never sent to the page. */
  headers?: Readonly<Record<string, string>>
  /** Loopback address to listen on. @default "127.0.0.1" */
  host?: string
  /** @default 0 (an ephemeral port) */
  port?: number
  /** Fetch for the upstream reads. @default globalThis.fetch */
  fetch?: FetchLike
  /**
   * The page's script. Default: the bundle built beside this module
   * (`dist/inspector-page.js`). Tests built from source pass their own.
   */
  pageScript?: string | (() => Promise<string>)
}

/** A running inspector, from `startInspector`. */
export interface Inspector {
  /** The page, e.g. `http://127.0.0.1:43117/?stream=chat`. */
  readonly url: string
  /** Closes the server and every open connection (live reads included). Idempotent. */
  stop(): Promise<void>
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "::1", "localhost"])

/** The routes the page uses; `/api/stream/<name>` is the read-only proxy. */
export const INSPECTOR_ROUTES = Object.freeze({
  page: "/",
  script: "/inspector.js",
  config: "/api/config",
  stream: "/api/stream/",
})

/**
 * Serves the inspector page on loopback and proxies its reads to the stream
 * server. Reads go through us rather than straight from the browser so the
 * credentials stay in this process (the page never sees a token), and
 * servers without CORS work too. Only GET and HEAD under the target's
 * prefix are forwarded, and only for requests addressed to our own
 * loopback host: a page elsewhere cannot use a DNS name pointed at
 * 127.0.0.1 to read streams with your token.
 */
export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const host = options.host ?? "127.0.0.1"
  if (!LOOPBACK_HOSTS.has(host)) throw new RangeError(`the inspector listens on loopback only (127.0.0.1, ::1 or localhost), not ${host}`)
  const target = inspectTarget(options.url)
  const headers = options.headers ?? {}
  const fetch: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  const script = loadScript(options.pageScript)
  // Fail now, not on the first page load, if the page was not built.
  await script()
  const sockets = new Set<Socket>()
  let port = 0

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end()
      else response.destroy()
    })
  })
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.once("close", () => sockets.delete(socket))
  })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!isOwnHost(request.headers.host, port)) {
      response.writeHead(403, { "content-type": "text/plain; charset=utf-8" }).end("unexpected Host header")
      return
    }
    const url = new URL(request.url ?? "/", "http://inspector")
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end()
      return
    }
    if (url.pathname.startsWith(INSPECTOR_ROUTES.stream)) {
      const name = url.pathname.slice(INSPECTOR_ROUTES.stream.length)
      const upstream = upstreamUrl(target, name, url.search)
      if (upstream === undefined) {
        response.writeHead(400, { "content-type": "text/plain; charset=utf-8" }).end("not a stream name under the inspected prefix")
        return
      }
      await forwardRead(request, response, upstream, headers, fetch)
      return
    }
    if (url.pathname === INSPECTOR_ROUTES.page || url.pathname === "/index.html") {
      send(response, "text/html; charset=utf-8", INSPECTOR_HTML)
    } else if (url.pathname === INSPECTOR_ROUTES.script) {
      send(response, "text/javascript; charset=utf-8", await script())
    } else if (url.pathname === "/favicon.ico") {
      response.writeHead(204).end()
    } else if (url.pathname === INSPECTOR_ROUTES.config) {
      send(response, "application/json", JSON.stringify(pageConfig(target)))
    } else {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found")
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  port = (server.address() as AddressInfo).port
  const shownHost = host.includes(":") ? `[${host}]` : host
  const query = target.initialStream ? `?${new URLSearchParams({ stream: target.initialStream })}` : ""
  let stopping: Promise<void> | undefined

  return {
    url: `http://${shownHost}:${port}/${query}`,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const socket of sockets) socket.destroy()
      })
      return stopping
    },
  }
}

/** What the page is told: where it reads (for display) and what to open. No credentials, no query. */
export interface InspectorConfig {
  prefix: string
  stream: string
}

function pageConfig(target: InspectTarget): InspectorConfig {
  return { prefix: target.prefix, stream: target.initialStream }
}

function isOwnHost(hostHeader: string | undefined, port: number): boolean {
  if (hostHeader === undefined) return false
  return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(hostHeader.toLowerCase())
}

function send(response: ServerResponse, type: string, body: string): void {
  response.writeHead(200, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" }).end(body)
}

function loadScript(given: InspectorOptions["pageScript"]): () => Promise<string> {
  if (typeof given === "string") return async () => given
  if (typeof given === "function") return given
  let cached: Promise<string> | undefined
  // Built by tsup next to this module (see tsup.config.ts).
  return () => (cached ??= readFile(new URL("./inspector-page.js", import.meta.url), "utf8"))
}
