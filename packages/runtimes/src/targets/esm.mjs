// Node (ESM), Bun and Deno: import the built package by its name, exactly as
// an application would, and run the smoke scenario.
// Usage: <runtime> esm.mjs <serverUrl> <runtimeName>
import * as lib from "@durable-client/collections"
import { runSmoke } from "../../scenario/smoke.js"
import { describeError, resultLine } from "./report.js"

const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2)
const [serverUrl, name] = args
const exit = (code) => (globalThis.Deno ? globalThis.Deno.exit(code) : globalThis.process.exit(code))

let code = 0
try {
  const result = await runSmoke({ serverUrl, lib, name, expectLiveTransport: "sse" })
  // Which file the runtime resolved the package to: it must be the built ESM entry.
  result.entry = import.meta.resolve("@durable-client/collections")
  if (!/\/packages\/collections\/dist\/index\.js$/.test(result.entry)) {
    throw new Error(`smoke: ${name} resolved @durable-client/collections to ${result.entry}, expected packages/collections/dist/index.js`)
  }
  console.log(resultLine({ ok: true, result }))
} catch (error) {
  console.log(resultLine({ ok: false, error: describeError(error) }))
  code = 1
}
// Keep-alive sockets would hold the process open; the outcome is already out.
exit(code)
