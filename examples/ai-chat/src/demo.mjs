// @ts-check
// The demo's two servers, both on loopback:
//  - the Durable Streams reference server, which holds one stream per answer;
//  - the app server on another port (so another origin: the page reads the
//    streams cross-origin, with real CORS). It serves the page and the chat
//    route, POST /api/chat, which runs streamText on a mock model and answers
//    with startChatStream(...).response(), and keeps each chat's messages.
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"
import { startChatStream } from "@durable-client/ai-sdk"
import { DurableStreamTestServer } from "@durable-streams/server"
import { convertToModelMessages, streamText, toUIMessageStream } from "ai"
import { build } from "esbuild"
import { answerFor, createDemoModel, tokenize } from "./model.mjs"

const appDir = new URL("./app/", import.meta.url)

/**
 * @typedef {object} Generation
 * @property {string} chatId
 * @property {string} prompt
 * @property {string} streamUrl
 * @property {string} messageId
 * @property {string} text the whole answer, as the model will write it
 * @property {string[]} tokens
 * @property {boolean} settled whether the answer is stored and its stream closed
 * @property {Promise<unknown>} done settles when the stream has been closed
 */

/**
 * @typedef {object} AiChatDemo
 * @property {string} url the page
 * @property {string} streamServerUrl
 * @property {Generation[]} generations started so far, oldest first
 * @property {() => number} modelCalls how many times the model was asked to generate
 * @property {() => Promise<void>} stop
 */

/**
 * Bundles the React app with esbuild, against the BUILT packages, exactly as
 * an app would import them.
 * @param {{ production?: boolean }} [options]
 */
export async function bundleApp(options = {}) {
  const production = options.production ?? false
  const result = await build({
    entryPoints: [fileURLToPath(new URL("main.tsx", appDir))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    write: false,
    minify: production,
    sourcemap: production ? false : "inline",
    define: { "process.env.NODE_ENV": JSON.stringify(production ? "production" : "development") },
    logLevel: "silent",
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error("esbuild produced no bundle")
  return output.text
}

/**
 * @param {{ host?: string, port?: number, streamPort?: number, tokenIntervalMs?: number, production?: boolean }} [options]
 * @returns {Promise<AiChatDemo>}
 */
export async function startAiChatDemo(options = {}) {
  const host = options.host ?? "127.0.0.1"
  const demoModel = createDemoModel({ tokenIntervalMs: options.tokenIntervalMs ?? 45 })
  const [html, script] = await Promise.all([
    readFile(new URL("index.html", appDir)),
    bundleApp({ production: options.production }),
  ])

  // Port 0 must be explicit: the constructor's default is a fixed port.
  const streams = new DurableStreamTestServer({ host, port: options.streamPort ?? 0, longPollTimeout: 5_000 })
  const streamServerUrl = await streams.start()

  /** @type {Generation[]} */
  const generations = []
  /**
   * The app's message persistence: each chat's messages as of its last
   * request. The answer being generated is not in it: the page gets it back
   * from the durable stream (useChat's resume).
   * @type {Map<string, unknown[]>}
   */
  const chats = new Map()

  /**
   * The chat route, as an app would write it.
   * @param {{ id: string, messages: import("ai").UIMessage[] }} body
   */
  async function chat(body) {
    chats.set(body.id, body.messages)
    // No abortSignal from the request: the answer is written whether or not the page stays.
    const result = streamText({ model: demoModel.model, messages: await convertToModelMessages(body.messages) })
    const stream = await startChatStream({
      stream: toUIMessageStream({ stream: result.stream }),
      // One stream per answer, named by the chat and the answer's message id.
      streamUrl: ({ messageId }) => `${streamServerUrl}/v1/stream/chat-${encodeURIComponent(body.id)}-${messageId}`,
      // A serverless host would pass its waitUntil here; this Node server just keeps running.
    })
    const prompt = lastUserText(body.messages)
    const text = answerFor(prompt)
    /** @type {Generation} */
    const generation = {
      chatId: body.id,
      prompt,
      streamUrl: stream.streamUrl,
      messageId: stream.messageId,
      text,
      tokens: tokenize(text),
      settled: false,
      done: stream.done,
    }
    stream.done.then(
      () => void (generation.settled = true),
      (/** @type {unknown} */ error) => {
        generation.settled = true
        console.error(`answer ${stream.messageId} could not be stored:`, error)
      }
    )
    generations.push(generation)
    return stream.response()
  }

  const pages = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://page")
    const path = url.pathname
    const send = (/** @type {number} */ status, /** @type {string} */ type, /** @type {string | Buffer} */ body) =>
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" }).end(body)
    if (req.method === "GET" && (path === "/" || path === "/index.html")) send(200, "text/html; charset=utf-8", html)
    else if (req.method === "GET" && path === "/app.js") send(200, "text/javascript; charset=utf-8", script)
    else if (req.method === "GET" && path.startsWith("/api/chats/")) {
      const id = decodeURIComponent(path.slice("/api/chats/".length))
      send(200, "application/json", JSON.stringify(chats.get(id) ?? []))
    } else if (req.method === "POST" && path === "/api/chat") {
      readBody(req)
        .then((raw) => chat(JSON.parse(raw)))
        .then((response) => sendResponse(res, response))
        .catch((/** @type {unknown} */ error) => {
          if (!res.headersSent) send(500, "text/plain", String(error))
          else res.end()
        })
    } else send(404, "text/plain", "not found")
  })
  await new Promise((resolve, reject) => {
    pages.once("error", reject)
    pages.listen(options.port ?? 0, host, () => resolve(undefined))
  })
  const address = /** @type {import("node:net").AddressInfo} */ (pages.address())

  /** @type {Promise<void> | undefined} */
  let stopped
  return {
    url: `http://${host}:${address.port}/`,
    streamServerUrl,
    generations,
    modelCalls: () => demoModel.prompts.length,
    stop() {
      stopped ??= (async () => {
        await Promise.allSettled(generations.map((generation) => generation.done))
        pages.closeAllConnections()
        await new Promise((resolve) => pages.close(() => resolve(undefined)))
        await streams.stop()
      })()
      return stopped
    },
  }
}

/**
 * Writes a web Response to a Node response. A client that goes away cancels
 * the body: only this copy stops, the durable stream is still written.
 * @param {import("node:http").ServerResponse} res
 * @param {Response} response
 */
async function sendResponse(res, response) {
  res.writeHead(response.status, Object.fromEntries(response.headers))
  if (!response.body) return void res.end()
  const reader = response.body.getReader()
  res.on("close", () => void reader.cancel().catch(() => undefined))
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      res.write(value)
    }
  } catch {
    // The page left; nothing to do.
  }
  res.end()
}

/** @param {import("node:http").IncomingMessage} req */
async function readBody(req) {
  let body = ""
  req.setEncoding("utf8")
  for await (const part of req) body += part
  return body
}

/** @param {import("ai").UIMessage[]} messages */
function lastUserText(messages) {
  const user = messages.filter((message) => message.role === "user").at(-1)
  return (user?.parts ?? []).map((part) => (part.type === "text" ? part.text : "")).join("")
}
