// Turns this Node process into something shaped like a React Native app on
// Hermes, as far as a library can tell from its globals. Everything here is
// written for this harness; it mimics the behaviour, not the code, of the
// pieces React Native ships.
//
// Globals are not listed by hand as "things to delete". The environment
// keeps exactly: the globals of the Hermes engine itself (read off the real
// `hermes` binary from the hermes-engine-cli package by the runner, or the
// snapshot below taken from it), the few that newer Hermes added, and what
// React Native's InitializeCore installs. Every other Node global goes.
//
// How the React Native (0.74 to 0.84, no extra polyfill packages) pieces
// behave, and how each is modelled:
//
// - fetch is whatwg-fetch over XMLHttpRequest: the promise resolves only once
//   the WHOLE response has arrived, and a Response has no `body` property at
//   all (not even null), only text()/json()/arrayBuffer(). So no streaming,
//   no SSE. A GET or HEAD with cache "no-store" gets a `_=<time>` query
//   parameter. Aborting rejects with an Error named "AbortError", failures
//   with TypeError("Network request failed"). Implemented over node:http,
//   standing in for the native networking module.
// - AbortController/AbortSignal come from the abort-controller package:
//   abort() takes no reason (signal.reason is undefined) and there is no
//   AbortSignal.any, AbortSignal.timeout, AbortSignal.abort or throwIfAborted.
// - TextEncoder exists (Hermes, since RN 0.74). TextDecoder does not before
//   RN 0.85 (Hermes added it in Dec 2025), so apps install a polyfill; a
//   minimal UTF-8-only one is installed here, as such an app would.
// - URL and URLSearchParams are React Native's own small classes: `new URL(s)`
//   appends "/" to s when it does not end with one, protocol, host, pathname,
//   search… throw "not implemented" (as in the RN versions before those
//   getters were filled in), `search` cannot be assigned, and URLSearchParams
//   only appends and serialises.
// - Not there: crypto (no getRandomValues without react-native-get-random-values,
//   never randomUUID), any streams class, structuredClone, EventTarget, Event,
//   DOMException, BroadcastChannel, MessageChannel, WebAssembly,
//   SharedArrayBuffer, WeakRef, Buffer; `process` is only { env: { NODE_ENV } };
//   window and self are the global object; navigator.product is "ReactNative".
// - Timers return numbers, as in React Native and browsers (no .unref()).
import http from "node:http"
import {
  RNAbortController,
  RNAbortSignal,
  RNHeaders,
  RNResponse,
  RNURL,
  RNURLSearchParams,
  Utf8TextDecoder,
  abortError,
} from "./react-native-globals.js"

export const EMULATED = "React Native 0.74-0.84 on Hermes (whatwg-fetch, abort-controller, RN URL, TextDecoder polyfill)"

/**
 * Object.getOwnPropertyNames(globalThis) in Hermes 0.12.0 (hermes-engine-cli),
 * used when the runner could not run the binary (it only ships for Linux x64,
 * macOS and Windows).
 */
export const HERMES_GLOBALS_SNAPSHOT = [
  "Array", "ArrayBuffer", "BigInt", "BigInt64Array", "BigUint64Array", "Boolean", "DataView", "Date", "Error",
  "EvalError", "Float32Array", "Float64Array", "Function", "HermesInternal", "Infinity", "Int16Array", "Int32Array",
  "Int8Array", "JSON", "Map", "Math", "NaN", "Number", "Object", "Promise", "Proxy", "QuitError", "RangeError",
  "ReferenceError", "Reflect", "RegExp", "Set", "String", "Symbol", "SyntaxError", "TimeoutError", "TypeError",
  "URIError", "Uint16Array", "Uint32Array", "Uint8Array", "Uint8ClampedArray", "WeakMap", "WeakSet", "clearTimeout",
  "createHeapSnapshot", "decodeURI", "decodeURIComponent", "encodeURI", "encodeURIComponent", "escape", "eval", "gc",
  "globalThis", "isFinite", "isNaN", "loadSegment", "parseFloat", "parseInt", "print", "quit", "setImmediate",
  "setTimeout", "undefined", "unescape",
]

/** Engine globals newer Hermes has that 0.12 lacks, within the React Native range modelled here. */
const NEWER_HERMES = ["TextEncoder", "Intl"]

/** What React Native's InitializeCore puts on the global object (the subset Node can stand in for). */
const REACT_NATIVE_PROVIDES = [
  "console", "setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate",
  "queueMicrotask", "performance", "fetch", "Headers", "Response", "FormData", "Blob", "File", "AbortController",
  "AbortSignal", "URL", "URLSearchParams", "navigator", "process", "global", "window", "self", "__DEV__",
]

/** Polyfills the modelled app installs itself. */
const APP_POLYFILLS = ["TextDecoder"]

/** Counters the entry checks afterwards, to prove the React Native paths were taken. */
export const stats = { requests: 0, sseRequests: 0, cacheBusted: 0, aborted: 0 }

/**
 * Installs the environment on globalThis. `hermesGlobals` is the engine's
 * own list (from the real binary) or, by default, the snapshot. Returns what
 * the harness itself still needs from Node, and the globals it removed.
 */
export function installReactNativeEnvironment(hermesGlobals = HERMES_GLOBALS_SNAPSHOT) {
  const node = {
    process: globalThis.process,
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
    Buffer: globalThis.Buffer,
  }
  const keep = new Set([...hermesGlobals, ...NEWER_HERMES, ...REACT_NATIVE_PROVIDES, ...APP_POLYFILLS])
  const removed = []
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (keep.has(name)) continue
    delete globalThis[name]
    if (name in globalThis) throw new Error(`could not remove globalThis.${name}`)
    removed.push(name)
  }

  const timers = numericTimers(node)
  Object.assign(globalThis, {
    fetch: createFetch(node),
    Headers: RNHeaders,
    Response: RNResponse,
    AbortController: RNAbortController,
    AbortSignal: RNAbortSignal,
    TextDecoder: Utf8TextDecoder,
    URL: RNURL,
    URLSearchParams: RNURLSearchParams,
    process: { env: { NODE_ENV: "production" } },
    navigator: { product: "ReactNative" },
    window: globalThis,
    self: globalThis,
    __DEV__: false,
    ...timers,
  })
  return { node, removed }
}

// ---------------------------------------------------------------- timers

function numericTimers(node) {
  let nextId = 1
  const live = new Map()
  const clear = (id) => {
    const handle = live.get(id)
    if (handle === undefined) return
    live.delete(id)
    node.clearTimeout(handle)
    node.clearInterval(handle)
  }
  return {
    setTimeout(callback, ms, ...args) {
      const id = nextId++
      live.set(id, node.setTimeout(() => {
        live.delete(id)
        callback(...args)
      }, ms))
      return id
    },
    setInterval(callback, ms, ...args) {
      const id = nextId++
      live.set(id, node.setInterval(() => callback(...args), ms))
      return id
    },
    clearTimeout: clear,
    clearInterval: clear,
  }
}

// ---------------------------------------------------------------- fetch

function createFetch(node) {
  const agent = new http.Agent({ keepAlive: true })
  return function fetch(input, init = {}) {
    return new Promise((resolve, reject) => {
      const signal = init.signal
      if (signal && signal.aborted) {
        reject(abortError())
        return
      }
      const method = String(init.method ?? "GET").toUpperCase()
      let url = String(input)
      if ((method === "GET" || method === "HEAD") && (init.cache === "no-store" || init.cache === "no-cache")) {
        url += `${url.includes("?") ? "&" : "?"}_=${Date.now()}`
        stats.cacheBusted++
      }
      if (!/^http:\/\//i.test(url)) {
        reject(new TypeError("Network request failed"))
        return
      }
      let body = init.body
      if ((method === "GET" || method === "HEAD") && body) {
        reject(new TypeError("Body not allowed for GET or HEAD requests"))
        return
      }
      if (body instanceof ArrayBuffer) body = node.Buffer.from(body)
      else if (ArrayBuffer.isView(body)) body = node.Buffer.from(body.buffer, body.byteOffset, body.byteLength)
      else if (body !== undefined && body !== null && typeof body !== "string") body = String(body)
      const headers = {}
      new RNHeaders(init.headers).forEach((value, name) => {
        headers[name] = value
      })

      stats.requests++
      if (/[?&]live=sse(&|$)/.test(url)) stats.sseRequests++
      let settled = false
      const request = http.request(url, { method, headers, agent })
      const settle = (callback) => {
        if (settled) return
        settled = true
        signal?.removeEventListener("abort", onAbort)
        // whatwg-fetch settles from a timer after the XHR event.
        node.setTimeout(callback, 0)
      }
      const onAbort = () => {
        stats.aborted++
        request.destroy()
        settle(() => reject(abortError()))
      }
      signal?.addEventListener("abort", onAbort)
      request.on("response", (response) => {
        const parts = []
        response.on("data", (part) => parts.push(part))
        response.on("error", () => settle(() => reject(new TypeError("Network request failed"))))
        response.on("end", () => {
          const headerList = new RNHeaders()
          for (let i = 0; i < response.rawHeaders.length; i += 2) headerList.append(response.rawHeaders[i], response.rawHeaders[i + 1])
          const bytes = node.Buffer.concat(parts)
          const init = { status: response.statusCode, statusText: response.statusMessage ?? "", headers: headerList, url }
          settle(() => resolve(new RNResponse(bytes, init, (body) => body.toString("utf8"))))
        })
      })
      request.on("error", () => settle(() => reject(new TypeError("Network request failed"))))
      request.end(body ?? undefined)
    })
  }
}
