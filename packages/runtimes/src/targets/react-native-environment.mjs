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
export const stats = { requests: 0, sseRequests: 0, cacheBusted: 0, aborted: 0, textDecoderCalls: 0 }

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

class RNHeaders {
  constructor(init) {
    this._map = new Map()
    if (init instanceof RNHeaders) init.forEach((value, name) => this.append(name, value))
    else if (Array.isArray(init)) for (const [name, value] of init) this.append(name, value)
    else if (init && typeof init === "object") for (const name of Object.keys(init)) this.append(name, init[name])
  }
  append(name, value) {
    const key = String(name).toLowerCase()
    const previous = this._map.get(key)
    this._map.set(key, previous === undefined ? String(value) : `${previous}, ${value}`)
  }
  set(name, value) {
    this._map.set(String(name).toLowerCase(), String(value))
  }
  get(name) {
    return this._map.get(String(name).toLowerCase()) ?? null
  }
  has(name) {
    return this._map.has(String(name).toLowerCase())
  }
  delete(name) {
    this._map.delete(String(name).toLowerCase())
  }
  forEach(callback, thisArg) {
    for (const [name, value] of this._map) callback.call(thisArg, value, name, this)
  }
  *entries() {
    yield* this._map.entries()
  }
  [Symbol.iterator]() {
    return this.entries()
  }
}

/** A whatwg-fetch style Response: the body is already complete, and there is no `body` property. */
class RNResponse {
  constructor(bytes, { status, statusText, headers, url }) {
    this._bytes = bytes
    this.type = "default"
    this.status = status
    this.ok = status >= 200 && status < 300
    this.statusText = statusText
    this.headers = headers
    this.url = url
    this.bodyUsed = false
  }
  _consume() {
    if (this.bodyUsed) return Promise.reject(new TypeError("Already read"))
    this.bodyUsed = true
    return Promise.resolve(this._bytes)
  }
  arrayBuffer() {
    return this._consume().then((bytes) => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  }
  text() {
    // Decoded on the native side in React Native, not by a JS TextDecoder.
    return this._consume().then((bytes) => bytes.toString("utf8"))
  }
  json() {
    return this.text().then(JSON.parse)
  }
  clone() {
    return new RNResponse(this._bytes, this)
  }
}

function abortError() {
  const error = new Error("Aborted")
  error.name = "AbortError"
  return error
}

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
          settle(() => resolve(new RNResponse(bytes, { status: response.statusCode, statusText: response.statusMessage ?? "", headers: headerList, url })))
        })
      })
      request.on("error", () => settle(() => reject(new TypeError("Network request failed"))))
      request.end(body ?? undefined)
    })
  }
}

// ---------------------------------------------------------------- abort-controller

const CONSTRUCT = Symbol("construct")

/** Like the abort-controller package: listeners and onabort, but no reason and no static helpers. */
class RNAbortSignal {
  constructor(key) {
    if (key !== CONSTRUCT) throw new TypeError("AbortSignal cannot be constructed directly")
    this._aborted = false
    this._listeners = []
    this.onabort = null
  }
  get aborted() {
    return this._aborted
  }
  addEventListener(type, listener, options) {
    if (type !== "abort" || typeof listener !== "function") return
    const capture = typeof options === "boolean" ? options : Boolean(options && options.capture)
    const once = typeof options === "object" && options !== null && Boolean(options.once)
    if (this._listeners.some((entry) => entry.listener === listener && entry.capture === capture)) return
    this._listeners.push({ listener, capture, once })
  }
  removeEventListener(type, listener, options) {
    const capture = typeof options === "boolean" ? options : Boolean(options && options.capture)
    this._listeners = this._listeners.filter((entry) => !(entry.listener === listener && entry.capture === capture))
  }
  dispatchEvent(event) {
    for (const entry of [...this._listeners]) {
      if (entry.once) this.removeEventListener(event.type, entry.listener, entry.capture)
      entry.listener.call(this, event)
    }
    if (typeof this.onabort === "function") this.onabort.call(this, event)
    return true
  }
}

class RNAbortController {
  constructor() {
    this._signal = new RNAbortSignal(CONSTRUCT)
  }
  get signal() {
    return this._signal
  }
  /** Any argument is ignored: this AbortSignal has no `reason`. */
  abort() {
    if (this._signal._aborted) return
    this._signal._aborted = true
    this._signal.dispatchEvent({ type: "abort", target: this._signal })
  }
}

// ---------------------------------------------------------------- TextDecoder polyfill

/** UTF-8 only, one-shot decoding: what a minimal app polyfill provides. */
class Utf8TextDecoder {
  constructor(label = "utf-8", options = {}) {
    const normalised = String(label).trim().toLowerCase()
    if (normalised !== "utf-8" && normalised !== "utf8" && normalised !== "unicode-1-1-utf-8") {
      throw new RangeError(`this TextDecoder polyfill only decodes UTF-8 (asked for ${label})`)
    }
    this.encoding = "utf-8"
    this.fatal = Boolean(options.fatal)
    this.ignoreBOM = Boolean(options.ignoreBOM)
  }
  decode(input, options) {
    stats.textDecoderCalls++
    if (options && options.stream) throw new TypeError("this TextDecoder polyfill does not support { stream: true }")
    if (input === undefined) return ""
    const bytes =
      input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    return decodeUtf8(bytes, this.fatal, this.ignoreBOM)
  }
}

function decodeUtf8(bytes, fatal, ignoreBOM) {
  let out = ""
  let units = []
  const push = (unit) => {
    units.push(unit)
    if (units.length >= 8192) {
      out += String.fromCharCode(...units)
      units = []
    }
  }
  let i = !ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0
  while (i < bytes.length) {
    const lead = bytes[i]
    let need
    let point
    let lower = 0x80
    let upper = 0xbf
    if (lead < 0x80) {
      push(lead)
      i++
      continue
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      need = 1
      point = lead & 0x1f
    } else if (lead >= 0xe0 && lead <= 0xef) {
      need = 2
      point = lead & 0x0f
      if (lead === 0xe0) lower = 0xa0
      if (lead === 0xed) upper = 0x9f
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      need = 3
      point = lead & 0x07
      if (lead === 0xf0) lower = 0x90
      if (lead === 0xf4) upper = 0x8f
    } else {
      if (fatal) throw new TypeError("The encoded data was not valid UTF-8")
      push(0xfffd)
      i++
      continue
    }
    let taken = 1
    for (; taken <= need; taken++) {
      const next = bytes[i + taken]
      const min = taken === 1 ? lower : 0x80
      const max = taken === 1 ? upper : 0xbf
      if (next === undefined || next < min || next > max) break
      point = (point << 6) | (next & 0x3f)
    }
    if (taken <= need) {
      // Invalid or truncated sequence: one replacement character, and the
      // byte that broke it is read again as the start of the next one.
      if (fatal) throw new TypeError("The encoded data was not valid UTF-8")
      push(0xfffd)
      i += taken
      continue
    }
    i += need + 1
    if (point > 0xffff) {
      point -= 0x10000
      push(0xd800 + (point >> 10))
      push(0xdc00 + (point & 0x3ff))
    } else {
      push(point)
    }
  }
  return out + String.fromCharCode(...units)
}

// ---------------------------------------------------------------- URL

/** React Native's URL: keeps the string, adds a trailing "/", implements almost nothing else. */
class RNURL {
  constructor(url, base) {
    if (base === undefined || base === null) {
      this._url = String(url)
      if (!this._url.endsWith("/")) this._url += "/"
    } else {
      const root = String(base).replace(/\/$/, "")
      const path = String(url)
      this._url = `${root}${path.startsWith("/") ? path : `/${path}`}`
    }
    this._searchParams = null
  }
  get href() {
    return this.toString()
  }
  get searchParams() {
    this._searchParams ??= new RNURLSearchParams()
    return this._searchParams
  }
  toString() {
    if (this._searchParams === null) return this._url
    return `${this._url}${this._url.includes("?") ? "&" : "?"}${this._searchParams.toString()}`
  }
  toJSON() {
    return this.toString()
  }
}
for (const name of ["hash", "host", "hostname", "origin", "password", "pathname", "port", "protocol", "search", "username"]) {
  Object.defineProperty(RNURL.prototype, name, {
    get() {
      throw new Error(`URL.${name} is not implemented`)
    },
  })
}

class RNURLSearchParams {
  constructor(params) {
    this._pairs = []
    if (params && typeof params === "object") for (const key of Object.keys(params)) this.append(key, params[key])
  }
  append(key, value) {
    this._pairs.push([String(key), String(value)])
  }
  toString() {
    return this._pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join("&")
  }
  [Symbol.iterator]() {
    return this._pairs[Symbol.iterator]()
  }
}
for (const name of ["delete", "get", "getAll", "has", "set", "sort"]) {
  RNURLSearchParams.prototype[name] = function notImplemented() {
    throw new Error(`URLSearchParams.${name} is not implemented`)
  }
}
