// @ts-check
// The demo's two servers, both on loopback:
//  - the Durable Streams reference server, holding the document's stream and
//    its awareness stream (the provider creates both);
//  - a small page server on another port (so another origin: the editor reads
//    and writes the streams cross-origin, with real CORS) serving the app.
import { readFile } from "node:fs/promises"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"
import { DurableStreamTestServer } from "@durable-streams/server"
import { build } from "esbuild"

const appDir = new URL("./app/", import.meta.url)

/**
 * Bundles the editor with esbuild, against the BUILT @durable-client/yjs,
 * exactly as an app would import it.
 * @param {{ production?: boolean }} [options]
 */
export async function bundleApp(options = {}) {
  const production = options.production ?? false
  const result = await build({
    entryPoints: [fileURLToPath(new URL("main.ts", appDir))],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    minify: production,
    sourcemap: production ? false : "inline",
    logLevel: "silent",
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error("esbuild produced no bundle")
  return output.text
}

/**
 * @typedef {object} CollabDemo
 * @property {string} url the app
 * @property {string} streamServerUrl
 * @property {string} docUrl the document's stream
 * @property {() => Promise<void>} stop
 */

/**
 * @param {{ host?: string, port?: number, streamPort?: number, production?: boolean }} [options]
 * @returns {Promise<CollabDemo>}
 */
export async function startCollabDemo(options = {}) {
  const host = options.host ?? "127.0.0.1"
  const [html, script] = await Promise.all([
    readFile(new URL("index.html", appDir)),
    bundleApp({ production: options.production }),
  ])

  // Port 0 must be explicit: the constructor's default is a fixed port.
  const streams = new DurableStreamTestServer({ host, port: options.streamPort ?? 0, longPollTimeout: 5_000 })
  const streamServerUrl = await streams.start()
  const docUrl = `${streamServerUrl}/v1/stream/notes`
  const config = JSON.stringify({ docUrl })

  const pages = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://page").pathname
    const send = (/** @type {string} */ type, /** @type {string | Buffer} */ body) =>
      res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body)
    if (req.method !== "GET") res.writeHead(405, { allow: "GET" }).end()
    else if (path === "/" || path === "/index.html") send("text/html; charset=utf-8", html)
    else if (path === "/app.js") send("text/javascript; charset=utf-8", script)
    else if (path === "/config.json") send("application/json", config)
    else res.writeHead(404, { "content-type": "text/plain" }).end("not found")
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
    docUrl,
    stop() {
      stopped ??= (async () => {
        pages.closeAllConnections()
        await new Promise((resolve) => pages.close(() => resolve(undefined)))
        await streams.stop()
      })()
      return stopped
    },
  }
}
