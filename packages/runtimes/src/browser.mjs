// Chromium, driven by playwright-core: the page and a dedicated worker run the
// smoke scenario from one esbuild bundle of the built package. The page is
// served from a different loopback origin than the stream server, so CORS
// (preflights, exposed headers) is part of every run.
import { existsSync } from "node:fs"
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { extname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const here = fileURLToPath(new URL(".", import.meta.url))
const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"

// Flags for a headless Chromium on a machine with no outside network: the
// background services would otherwise keep trying to reach Google.
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
]

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".map": "application/json" }

/** Bundles the page and the worker; returns the folder and which built files went in. */
async function bundle() {
  const dir = await mkdtemp(join(tmpdir(), "durable-client-runtimes-"))
  const result = await build({
    entryPoints: { page: join(here, "targets/browser-page.js"), worker: join(here, "targets/browser-worker.js") },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outdir: dir,
    metafile: true,
    logLevel: "silent",
  })
  const inputs = Object.keys(result.metafile.inputs).map((file) => relative(repoRoot, join(process.cwd(), file)))
  for (const layer of ["bytes", "json", "state", "collections"]) {
    if (!inputs.includes(`packages/${layer}/dist/index.js`)) {
      throw new Error(`the browser bundle did not take @durable-client/${layer} from packages/${layer}/dist/index.js (inputs: ${inputs.join(", ")})`)
    }
  }
  await writeFile(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><title>durable-client smoke</title><link rel="icon" href="data:,"><script type="module" src="./page.js"></script>\n')
  return dir
}

/** A static file server on another loopback address (127.0.0.2), or another port when that is not routable. */
async function serveStatic(dir) {
  const server = createServer(async (request, response) => {
    const path = new URL(request.url, "http://x").pathname
    const file = join(dir, path === "/" ? "index.html" : path.slice(1))
    if (!file.startsWith(dir) || !existsSync(file)) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" })
    response.end(await readFile(file))
  })
  for (const host of ["127.0.0.2", "127.0.0.1"]) {
    try {
      await new Promise((resolve, reject) => {
        server.once("error", reject)
        server.listen(0, host, () => {
          server.off("error", reject)
          resolve()
        })
      })
      return { url: `http://${host}:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) }
    } catch {
      // try the next address
    }
  }
  throw new Error("could not start the static page server on 127.0.0.2 or 127.0.0.1")
}

/**
 * Starts the browser once for both browser runtimes. `run(kind)` returns the
 * scenario outcome ({ ok, result | error }) for "page" or "worker".
 */
export async function startChromium({ timeoutMs }) {
  const { chromium } = await import("playwright-core")
  const dir = await bundle()
  const site = await serveStatic(dir)
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 })
  return {
    version: browser.version(),
    async run(kind, serverUrl, name) {
      const context = await browser.newContext()
      const page = await context.newPage()
      // Uncaught errors and CORS refusals fail the run even if the scenario
      // itself finished; other console errors are kept for the report.
      const problems = []
      const consoleErrors = []
      page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
      page.on("console", (message) => {
        if (message.type() !== "error") return
        if (/CORS|Access-Control/i.test(message.text())) problems.push(`console: ${message.text()}`)
        else consoleErrors.push(message.text())
      })
      try {
        await page.goto(`${site.url}/index.html`)
        await page.waitForFunction(() => typeof globalThis.runSmokeInWorker === "function")
        const call = kind === "worker" ? "runSmokeInWorker" : "runSmokeInPage"
        let timer
        const outcome = await Promise.race([
          page.evaluate(([fn, url, runtime]) => globalThis[fn](url, runtime), [call, serverUrl, name]),
          new Promise((resolve) => {
            timer = setTimeout(() => resolve({ ok: false, error: { message: `no answer from the ${kind} within ${timeoutMs} ms` } }), timeoutMs)
          }),
        ]).finally(() => clearTimeout(timer))
        if (outcome.ok && problems.length > 0) {
          return { ok: false, error: { message: `the scenario passed but the browser reported: ${problems.join("; ")}` } }
        }
        if (!outcome.ok && problems.length > 0) outcome.error.browser = problems
        if (outcome.ok && consoleErrors.length > 0) outcome.result.consoleErrors = consoleErrors
        return outcome
      } finally {
        await context.close()
      }
    },
    async close() {
      await browser.close()
      await site.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
