// React Native's web APIs as a library sees them, written for this harness
// (they mimic the behaviour, not the code, of what React Native ships). Plain
// JavaScript with no imports and no Node APIs, so the same classes serve the
// React Native-like Node run and the real Hermes engine.
//
// - RNHeaders / RNResponse: whatwg-fetch. A Response is complete when it is
//   handed out and has no `body` property, only text()/json()/arrayBuffer().
// - RNAbortController / RNAbortSignal: the abort-controller package. abort()
//   ignores its argument (no `reason`); no AbortSignal.any/timeout/abort.
// - Utf8TextDecoder: the minimal UTF-8 TextDecoder polyfill an app installs
//   (Hermes has TextDecoder only from React Native 0.85).
// - Utf8TextEncoder: for Hermes 0.12, which predates the engine's own
//   TextEncoder (React Native 0.74).
// - RNURL / RNURLSearchParams: React Native's URL: "/" appended, most getters
//   throw "not implemented", `search` is read-only; params only append.

// ---------------------------------------------------------------- fetch

export class RNHeaders {
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
export class RNResponse {
  constructor(bytes, { status, statusText, headers, url }, decodeText) {
    this._bytes = bytes
    this._decodeText = decodeText
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
    // Decoded on the native side in React Native, not by the JS TextDecoder.
    return this._consume().then((bytes) => this._decodeText(bytes))
  }
  json() {
    return this.text().then(JSON.parse)
  }
  clone() {
    return new RNResponse(this._bytes, this, this._decodeText)
  }
}

export function abortError() {
  const error = new Error("Aborted")
  error.name = "AbortError"
  return error
}

// ---------------------------------------------------------------- abort-controller

const CONSTRUCT = Symbol("construct")

/** Like the abort-controller package: listeners and onabort, but no reason and no static helpers. */
export class RNAbortSignal {
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

export class RNAbortController {
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
export class Utf8TextDecoder {
  /** How many decode() calls ran: proves the library used this polyfill. */
  static calls = 0

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
    Utf8TextDecoder.calls++
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

// ---------------------------------------------------------------- TextEncoder for Hermes 0.12

/** UTF-8 TextEncoder, standing in for the one newer Hermes has built in. */
export class Utf8TextEncoder {
  get encoding() {
    return "utf-8"
  }
  encode(input = "") {
    const text = String(input)
    const out = []
    for (let i = 0; i < text.length; i++) {
      let point = text.charCodeAt(i)
      if (point >= 0xd800 && point <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1)
        if (low >= 0xdc00 && low <= 0xdfff) {
          point = 0x10000 + ((point - 0xd800) << 10) + (low - 0xdc00)
          i++
        }
      }
      if (point >= 0xd800 && point <= 0xdfff) point = 0xfffd
      if (point < 0x80) out.push(point)
      else if (point < 0x800) out.push(0xc0 | (point >> 6), 0x80 | (point & 0x3f))
      else if (point < 0x10000) out.push(0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f))
      else out.push(0xf0 | (point >> 18), 0x80 | ((point >> 12) & 0x3f), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f))
    }
    return new Uint8Array(out)
  }
}

// ---------------------------------------------------------------- URL

/** React Native's URL: keeps the string, adds a trailing "/", implements almost nothing else. */
export class RNURL {
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

export class RNURLSearchParams {
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
