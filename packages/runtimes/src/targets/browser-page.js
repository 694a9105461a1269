// Chromium page: bundled by esbuild with the built package (its "import"
// entry). The page is served from another origin than the stream server, so
// every request is a CORS request. The worker runs the same scenario in a
// dedicated Web Worker started from this page.
import * as lib from "@durable-client/collections"
import { runSmoke } from "../../scenario/smoke.js"
import { describeError } from "./report.js"

function checkCrossOrigin(serverUrl) {
  if (new URL(serverUrl).origin === globalThis.location.origin) {
    throw new Error(`smoke: the page (${globalThis.location.origin}) must be on another origin than the stream server, or CORS goes untested`)
  }
}

globalThis.runSmokeInPage = async (serverUrl, name) => {
  try {
    checkCrossOrigin(serverUrl)
    const result = await runSmoke({ serverUrl, lib, name, expectLiveTransport: "sse" })
    result.pageOrigin = globalThis.location.origin
    return { ok: true, result }
  } catch (error) {
    return { ok: false, error: describeError(error) }
  }
}

globalThis.runSmokeInWorker = (serverUrl, name) =>
  new Promise((resolve) => {
    try {
      checkCrossOrigin(serverUrl)
    } catch (error) {
      resolve({ ok: false, error: describeError(error) })
      return
    }
    const worker = new Worker("./worker.js", { type: "module" })
    const finish = (outcome) => {
      worker.terminate()
      resolve(outcome)
    }
    worker.onmessage = (event) => finish(event.data)
    worker.onerror = (event) => finish({ ok: false, error: { message: `worker failed to run: ${event.message ?? "error event"}` } })
    worker.postMessage({ serverUrl, name })
  })
