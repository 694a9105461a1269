// A chat route like an app would write one, on a loopback HTTP server:
// POST /api/chat runs streamText on a mock model and answers with
// startChatStream(...).response(). Every request's headers are logged.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http"
import type { AddressInfo, Socket } from "node:net"
import { convertToModelMessages, streamText, toUIMessageStream, type LanguageModel, type UIMessage } from "ai"
import { startChatStream, type ChatStream, type HeadersRecord } from "../../src"

export interface ChatApp {
  /** The chat route's absolute URL. */
  readonly api: string
  /** Requests the route received. */
  readonly requests: Array<{ method: string; path: string; headers: IncomingHttpHeaders; body: unknown }>
  /** Generations started, oldest first. */
  readonly generations: ChatStream[]
  stop(): Promise<void>
}

export interface ChatAppOptions {
  model: LanguageModel
  /** Base of the durable streams (the reference server, or a proxy in front of it). */
  streamsUrl: string
  /** Headers the route sends with its own durable-stream writes. */
  streamHeaders?: HeadersRecord
  /** When set, the route answers 401 unless `authorization` equals this. */
  requireAuthorization?: () => string
}

export async function startChatApp(options: ChatAppOptions): Promise<ChatApp> {
  const requests: ChatApp["requests"] = []
  const generations: ChatStream[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    void (async () => {
      let raw = ""
      req.setEncoding("utf8")
      for await (const part of req) raw += part
      const body = raw === "" ? undefined : (JSON.parse(raw) as { id: string; messages: UIMessage[] })
      requests.push({ method: req.method ?? "GET", path: req.url ?? "/", headers: req.headers, body })
      if (req.method !== "POST" || !req.url?.startsWith("/api/chat") || !body) {
        res.writeHead(404).end("not found")
        return
      }
      if (options.requireAuthorization && req.headers.authorization !== options.requireAuthorization()) {
        res.writeHead(401, { "content-type": "text/plain" }).end(`bad token ${req.headers.authorization ?? "(none)"}`)
        return
      }
      // No abortSignal from the request: a browser that goes away must not stop the model.
      const result = streamText({ model: options.model, messages: await convertToModelMessages(body.messages) })
      const chat = await startChatStream({
        stream: toUIMessageStream({ stream: result.stream }),
        streamUrl: ({ messageId }) => `${options.streamsUrl}/v1/stream/chat-${body.id}-${messageId}`,
        headers: options.streamHeaders,
      })
      generations.push(chat)
      await send(res, chat.response())
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" })
      res.end(String(error))
    })
  })
  server.on("connection", (socket: Socket) => {
    sockets.add(socket)
    socket.on("close", () => sockets.delete(socket))
  })
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready))
  const { port } = server.address() as AddressInfo
  let stopping: Promise<void> | undefined
  return {
    api: `http://127.0.0.1:${port}/api/chat`,
    requests,
    generations,
    stop() {
      stopping ??= (async () => {
        await Promise.allSettled(generations.map((generation) => generation.done))
        await new Promise<void>((done) => {
          server.close(() => done())
          for (const socket of sockets) socket.destroy()
        })
      })()
      return stopping
    },
  }
}

/** Writes a web Response to a Node response; a client that goes away cancels the body. */
export async function send(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers))
  if (!response.body) {
    res.end()
    return
  }
  const reader = response.body.getReader()
  res.on("close", () => void reader.cancel().catch(() => undefined))
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      res.write(value)
    }
  } catch {
    // Cancelled because the client left.
  }
  res.end()
}
