// @ts-check
// The demo's two servers, both on loopback:
//  - the Durable Streams reference server, which holds the token streams;
//  - a small page server on another port (so another origin: the browser
//    reads the stream cross-origin, with real CORS) that serves the page and
//    starts generations.
import { randomBytes } from "node:crypto"
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"
import { JsonStream } from "@durable-client/json"
import { DurableStreamTestServer } from "@durable-streams/server"
import { build } from "esbuild"
import { answerFor, generate, tokenize } from "./llm.mjs"

const pageDir = new URL("./page/", import.meta.url)

/**
 * @typedef {object} Generation
 * @property {string} id
 * @property {string} prompt
 * @property {string} streamUrl
 * @property {string} text the whole answer, as the model will have written it
 * @property {string[]} tokens
 * @property {Promise<void>} finished settles when the stream has been closed
 */

/**
 * @typedef {object} TokenStreamDemo
 * @property {string} url the page
 * @property {string} streamServerUrl
 * @property {Generation[]} generations started so far, oldest first
 * @property {() => Promise<void>} stop
 */

/**
 * Bundles the browser app with esbuild. It imports `@durable-client/json`
 * exactly as an app would (the built package).
 */
export async function bundlePage() {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("app.ts", pageDir))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    sourcemap: "inline",
    logLevel: "silent",
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error("esbuild produced no bundle")
  return output.text
}

/**
 * @param {{ host?: string, port?: number, streamPort?: number, tokenIntervalMs?: number, paragraphs?: number }} [options]
 * @returns {Promise<TokenStreamDemo>}
 */
export async function startTokenStreamDemo(options = {}) {
  const host = options.host ?? "127.0.0.1"
  const tokenIntervalMs = options.tokenIntervalMs ?? 60
  const [html, script] = await Promise.all([readFile(new URL("index.html", pageDir)), bundlePage()])

  // Port 0 must be explicit: the constructor's default is a fixed port.
  const streams = new DurableStreamTestServer({ host, port: options.streamPort ?? 0, longPollTimeout: 5_000 })
  const streamServerUrl = await streams.start()

  /** @type {Generation[]} */
  const generations = []
  const stopping = new AbortController()

  /**
   * Creates a fresh stream for one answer and lets the simulated model write into it.
   * @param {string} prompt
   */
  async function startGeneration(prompt) {
    const id = `answer-${generations.length + 1}-${randomBytes(3).toString("hex")}`
    const streamUrl = `${streamServerUrl}/v1/stream/${id}`
    /** @type {JsonStream<{ i: number, t: string }>} */
    const stream = await JsonStream.create({ url: streamUrl })
    const text = answerFor(prompt, options.paragraphs)
    const tokens = tokenize(text)
    const finished = generate({
      stream,
      tokens,
      intervalMs: tokenIntervalMs,
      producerId: `model-${id}`,
      signal: stopping.signal,
    })
    finished.catch((error) => console.error(`generation ${id} failed:`, error))
    /** @type {Generation} */
    const generation = { id, prompt, streamUrl, text, tokens, finished }
    generations.push(generation)
    return generation
  }

  const pages = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://page").pathname
    if (req.method === "GET" && (path === "/" || path === "/index.html")) {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(html)
    } else if (req.method === "GET" && path === "/app.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" }).end(script)
    } else if (req.method === "POST" && path === "/api/generate") {
      readBody(req)
        .then((body) => startGeneration(String(JSON.parse(body || "{}").prompt ?? "")))
        .then(({ id, streamUrl, tokens }) => {
          res.writeHead(200, { "content-type": "application/json" })
          res.end(JSON.stringify({ id, streamUrl, tokens: tokens.length }))
        })
        .catch((error) => {
          res.writeHead(500, { "content-type": "text/plain" }).end(String(error))
        })
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found")
    }
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
    stop() {
      stopped ??= (async () => {
        stopping.abort()
        await Promise.allSettled(generations.map((generation) => generation.finished))
        pages.closeAllConnections()
        await new Promise((resolve) => pages.close(() => resolve(undefined)))
        await streams.stop()
      })()
      return stopped
    },
  }
}

/** @param {import("node:http").IncomingMessage} req */
async function readBody(req) {
  let body = ""
  req.setEncoding("utf8")
  for await (const part of req) body += part
  return body
}
