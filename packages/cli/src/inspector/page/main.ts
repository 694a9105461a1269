// The inspector page: reads one stream through the inspector's proxy with
// the SDK (catch-up, then live by SSE or long-poll) and shows its batches,
// its State Protocol rows and the read session's health.
import {
  DurableStream,
  JsonStream,
  isDurableStreamError,
  type JsonReadSession,
  type ReadSession,
} from "@durable-client/state"
import { isJsonContentType } from "@durable-client/state/internal"
import { describeAge, describeLag, INITIAL_HEALTH, nextHealth, type Health, type HealthEvent } from "./health"
import { createStateTables, isStateMessage } from "./state-table"

/** Batches kept on screen; older ones are dropped (the count stays right). */
const MAX_BATCHES = 200

interface Config {
  prefix: string
  stream: string
}

/** What tests (and the curious, in the console) can read: `window.inspector`. */
export interface InspectorDiagnostics {
  stream: string | undefined
  health: Health
  rows: Record<string, number>
  errors: string[]
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T
const form = $<HTMLFormElement>("open-form")
const nameInput = $<HTMLInputElement>("stream-name")
const offsetInput = $<HTMLInputElement>("start-offset")

const diagnostics: InspectorDiagnostics = { stream: undefined, health: INITIAL_HEALTH, rows: {}, errors: [] }
;(globalThis as unknown as { inspector: InspectorDiagnostics }).inspector = diagnostics

let current: { session: ReadSession | JsonReadSession; controller: AbortController } | undefined

const config = (await (await fetch("/api/config")).json()) as Config
$("prefix").textContent = config.prefix
const params = new URLSearchParams(location.search)
nameInput.value = params.get("stream") ?? config.stream
offsetInput.value = params.get("offset") ?? "-1"
renderHealth()
// Ages ("3 s ago") move on without events, and the transport is only known once a live request is answered.
setInterval(() => {
  if (current) dispatch({ type: "transport", transport: current.session.liveTransport })
  renderHealth()
}, 1000)

form.addEventListener("submit", (event) => {
  event.preventDefault()
  void open(nameInput.value.trim(), offsetInput.value.trim() || "-1")
})
if (nameInput.value.trim() !== "") void open(nameInput.value.trim(), offsetInput.value.trim() || "-1")

async function open(input: string, offset: string): Promise<void> {
  if (current) {
    current.controller.abort()
    void current.session.cancel()
    current = undefined
  }
  const name = streamName(input)
  showProblem(undefined)
  resetView()
  if (name === undefined) {
    showProblem(`"${input}" is not a stream under ${config.prefix}`)
    return
  }
  const query = new URLSearchParams({ stream: name, ...(offset !== "-1" ? { offset } : {}) })
  history.replaceState(null, "", `?${query}`)
  diagnostics.stream = name
  const controller = new AbortController()
  const handle = new DurableStream({ url: new URL(`/api/stream/${name}`, location.href).toString() })
  try {
    const info = await handle.head({ signal: controller.signal })
    $("info").textContent =
      `${config.prefix}${name} · ${info.contentType ?? "unknown type"} · tail ${info.offset ?? "?"}` +
      `${info.closed ? " · closed" : ""}${info.ttlSeconds !== undefined ? ` · ttl ${info.ttlSeconds} s` : ""}` +
      `${info.expiresAt ? ` · expires ${info.expiresAt}` : ""}`
    const json = isJsonContentType(info.contentType)
    const options = { offset, live: "auto" as const, signal: controller.signal }
    const session = json ? JsonStream.from(handle).read(options) : handle.read(options)
    current = { session, controller }
    session.onStatusChange((status) => dispatch({ type: "status", status, transport: session.liveTransport }))
    dispatch({ type: "status", status: session.status, transport: session.liveTransport })
    if (json) await showJson(session as JsonReadSession)
    else await showBytes(session as ReadSession)
  } catch (error) {
    if (controller.signal.aborted) return
    const code = isDurableStreamError(error) ? error.code : "ERROR"
    const message = error instanceof Error ? error.message : String(error)
    diagnostics.errors.push(`${code}: ${message}`)
    dispatch({ type: "error", code, message })
    showProblem(`${code}: ${message}`)
  }
}

async function showJson(session: JsonReadSession): Promise<void> {
  const tables = createStateTables($("state"))
  for await (const batch of session) {
    const bytes = batch.items.reduce<number>((sum, item) => sum + (JSON.stringify(item)?.length ?? 0), 0)
    dispatch({ type: "batch", offset: batch.offset, upToDate: batch.upToDate, closed: batch.closed, messages: batch.items.length, bytes, at: Date.now() })
    dispatch({ type: "transport", transport: session.liveTransport })
    if (batch.items.length === 0) continue
    if (batch.items.some(isStateMessage)) {
      $("main").classList.add("with-state")
      $("state-section").hidden = false
      tables.apply(batch.items)
      diagnostics.rows = tables.counts()
    }
    addBatch(batch.offset, batch.items.map((item) => messageElement(item)))
  }
}

async function showBytes(session: ReadSession): Promise<void> {
  let decoder: TextDecoder | undefined = new TextDecoder("utf-8", { fatal: true })
  for await (const chunk of session) {
    dispatch({ type: "batch", offset: chunk.offset, upToDate: chunk.upToDate, closed: chunk.closed, messages: chunk.data.length > 0 ? 1 : 0, bytes: chunk.data.length, at: Date.now() })
    dispatch({ type: "transport", transport: session.liveTransport })
    if (chunk.data.length === 0) continue
    let shown: string
    try {
      if (!decoder) throw new Error("binary")
      shown = decoder.decode(chunk.data, { stream: true })
    } catch {
      // Not UTF-8: from here on, show bytes as hex.
      decoder = undefined
      shown = hex(chunk.data)
    }
    const element = document.createElement("pre")
    element.className = "message"
    element.dataset.testid = "message"
    element.textContent = shown
    addBatch(chunk.offset, [element])
  }
}

function messageElement(item: unknown): HTMLElement {
  const element = document.createElement("pre")
  element.className = "message"
  element.dataset.testid = "message"
  if (isStateMessage(item)) {
    const headers = item.headers as { operation?: string; control?: string }
    const label = document.createElement("span")
    label.className = "op"
    const change = item as { type?: string; key?: string }
    label.textContent = headers.control ?? `${headers.operation} ${change.type}:${change.key}`
    element.append(label, "\n")
  }
  element.append(JSON.stringify(item, null, 2))
  return element
}

function addBatch(offset: string, messages: HTMLElement[]): void {
  const list = $("messages")
  const item = document.createElement("li")
  item.className = "batch"
  item.dataset.testid = "batch"
  item.dataset.offset = offset
  const head = document.createElement("div")
  head.className = "batch-head"
  const where = document.createElement("span")
  where.append("next offset ")
  const code = document.createElement("span")
  code.className = "offset"
  code.textContent = offset
  where.append(code)
  const when = document.createElement("span")
  when.textContent = `${messages.length === 1 ? "1 message" : `${messages.length} messages`} · ${new Date().toLocaleTimeString()}`
  head.append(where, when)
  item.append(head, ...messages)
  list.prepend(item)
  while (list.children.length > MAX_BATCHES) list.lastElementChild!.remove()
}

function dispatch(event: HealthEvent): void {
  const next = nextHealth(diagnostics.health, event)
  if (next === diagnostics.health) return
  diagnostics.health = next
  renderHealth()
}

function renderHealth(): void {
  const health = diagnostics.health
  const now = Date.now()
  const fields: Array<[string, string, string]> = [
    ["status", health.status, `status-${health.status}`],
    ["transport", health.transport ?? "—", ""],
    ["offset", health.offset ?? "—", ""],
    ["lag", describeLag(health, now), ""],
    ["last data", describeAge(health.lastDataAt, now), ""],
    ["reconnects", String(health.reconnects), ""],
    ["messages", String(health.messages), ""],
    ["bytes", String(health.bytes), ""],
  ]
  $("health").replaceChildren(
    ...fields.map(([name, value, className]) => {
      const cell = document.createElement("div")
      // Offsets are long (the reference server's are 33 characters): give them room.
      if (name === "offset") cell.className = "wide"
      const term = document.createElement("dt")
      term.textContent = name
      const detail = document.createElement("dd")
      detail.textContent = value
      detail.dataset.testid = `health-${name.replace(" ", "-")}`
      if (className) detail.className = className
      cell.append(term, detail)
      return cell
    })
  )
  $("message-count").textContent = health.messages > 0 ? `(${health.messages})` : ""
}

function resetView(): void {
  diagnostics.health = INITIAL_HEALTH
  diagnostics.rows = {}
  $("messages").replaceChildren()
  $("state").replaceChildren()
  $("state-section").hidden = true
  $("main").classList.remove("with-state")
  $("info").textContent = ""
  renderHealth()
}

function showProblem(text: string | undefined): void {
  const problem = $("problem")
  problem.hidden = text === undefined
  problem.textContent = text ?? ""
}

/**
 * A stream name as the proxy takes it: relative to the prefix, each segment
 * percent-encoded where needed (existing %XX kept, so a pasted path stays
 * the same path). A full URL under the prefix is accepted too.
 */
function streamName(input: string): string | undefined {
  let name = input
  if (/^https?:\/\//i.test(name)) {
    if (!name.startsWith(config.prefix)) return undefined
    name = name.slice(config.prefix.length).split(/[?#]/)[0]!
  }
  name = name.replace(/^\/+/, "")
  const segments = name.split("/")
  if (name === "" || segments.some((segment) => segment === "" || segment === "." || segment === "..")) return undefined
  return segments
    .map((segment) => segment.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@%]/g, (c) => encodeURIComponent(c)))
    .join("/")
}

function hex(bytes: Uint8Array): string {
  const shown = [...bytes.subarray(0, 512)].map((byte) => byte.toString(16).padStart(2, "0"))
  const lines: string[] = []
  for (let i = 0; i < shown.length; i += 16) lines.push(shown.slice(i, i + 16).join(" "))
  return `${lines.join("\n")}${bytes.length > 512 ? `\n… ${bytes.length - 512} more bytes` : ""}`
}
