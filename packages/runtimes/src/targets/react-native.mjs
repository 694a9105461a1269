// React Native-like run in Node: install the environment first (the library
// creates a TextEncoder and TextDecoder when it loads), then import the built
// package and run the smoke scenario. `live: "auto"` must fall back to
// long-poll without ever trying SSE, since nothing streams here.
// Usage: node react-native.mjs <serverUrl> <runtimeName>
// HERMES_GLOBALS (optional): JSON array of the real Hermes engine's globals.
import { EMULATED, installReactNativeEnvironment, stats } from "./react-native-environment.mjs"
import { Utf8TextDecoder } from "./react-native-globals.js"
import { describeError, resultLine } from "./report.js"

const fromEngine = process.env.HERMES_GLOBALS ? JSON.parse(process.env.HERMES_GLOBALS) : undefined
const { node, removed } = installReactNativeEnvironment(fromEngine)
const [serverUrl, name] = node.process.argv.slice(2)

let code = 0
try {
  const lib = await import("@durable-client/collections")
  const { runSmoke } = await import("../../scenario/smoke.js")
  const result = await runSmoke({ serverUrl, lib, name, expectLiveTransport: "long-poll" })
  if (stats.sseRequests !== 0) {
    throw new Error(`smoke: the SDK sent ${stats.sseRequests} SSE request(s) although no response here has a body stream`)
  }
  if (Utf8TextDecoder.calls === 0) throw new Error("smoke: the TextDecoder polyfill was never used; was the library loaded before it?")
  result.environment = {
    emulated: EMULATED,
    hermesGlobals: fromEngine ? "read off the hermes binary" : "snapshot of Hermes 0.12.0",
    removedNodeGlobals: removed,
    ...stats,
    textDecoderCalls: Utf8TextDecoder.calls,
  }
  node.process.stdout.write(`${resultLine({ ok: true, result })}\n`)
} catch (error) {
  node.process.stdout.write(`${resultLine({ ok: false, error: describeError(error) })}\n`)
  code = 1
}
node.process.exit(code)
