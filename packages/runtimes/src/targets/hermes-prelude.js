// What React Native (and the modelled app) put on the global object before
// any library loads, for the bare `hermes` command-line engine. Imported
// first by hermes-entry.js so it runs before the library's own module code.
import {
  RNAbortController,
  RNAbortSignal,
  RNHeaders,
  RNResponse,
  RNURL,
  RNURLSearchParams,
  Utf8TextDecoder,
  Utf8TextEncoder,
} from "./react-native-globals.js"

const g = globalThis
const print = g.print
const line = (...parts) => print(parts.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join(" "))
g.console = { log: line, info: line, warn: line, error: line, debug: line }

// The hermes CLI has setTimeout/clearTimeout/setImmediate; React Native adds the rest.
if (typeof g.setInterval !== "function") {
  const intervals = new Map()
  let next = 1
  g.setInterval = (callback, ms, ...args) => {
    const id = next++
    const tick = () => {
      intervals.set(id, g.setTimeout(tick, ms))
      callback(...args)
    }
    intervals.set(id, g.setTimeout(tick, ms))
    return id
  }
  g.clearInterval = (id) => {
    g.clearTimeout(intervals.get(id))
    intervals.delete(id)
  }
}
if (typeof g.queueMicrotask !== "function") g.queueMicrotask = (callback) => Promise.resolve().then(callback)

Object.assign(g, {
  TextEncoder: Utf8TextEncoder,
  TextDecoder: Utf8TextDecoder,
  AbortController: RNAbortController,
  AbortSignal: RNAbortSignal,
  Headers: RNHeaders,
  Response: RNResponse,
  URL: RNURL,
  URLSearchParams: RNURLSearchParams,
  navigator: { product: "ReactNative" },
  process: { env: { NODE_ENV: "production" } },
  window: g,
  self: g,
  __DEV__: false,
  fetch: () => Promise.reject(new TypeError("Network request failed (the hermes command line has no network)")),
})
