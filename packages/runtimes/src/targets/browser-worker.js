// Dedicated Web Worker: the same bundle shape as the page, no DOM, no window.
import * as lib from "@durable-client/collections"
import { runSmoke } from "../../scenario/smoke.js"
import { describeError } from "./report.js"

globalThis.onmessage = async (event) => {
  const { serverUrl, name } = event.data
  try {
    const scope = globalThis.DedicatedWorkerGlobalScope
    if (typeof globalThis.window !== "undefined" || typeof scope !== "function" || !(globalThis instanceof scope)) {
      throw new Error("smoke: expected to run inside a dedicated worker")
    }
    const result = await runSmoke({ serverUrl, lib, name, expectLiveTransport: "sse" })
    result.workerOrigin = globalThis.location.origin
    globalThis.postMessage({ ok: true, result })
  } catch (error) {
    globalThis.postMessage({ ok: false, error: describeError(error) })
  }
}
