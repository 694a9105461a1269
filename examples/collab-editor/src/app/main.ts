import { DurableYjsProvider, keyValueStorage, type ProviderStatus } from "@durable-client/yjs"
import { Doc } from "yjs"
import { bindTextarea } from "./textarea-binding"

/** What the browser test reads from `globalThis.collabApp`. */
export interface CollabDiagnostics {
  status: ProviderStatus
  synced: boolean
  pending: number
  checkpoints: number
  /** The text as of the last stored checkpoint. */
  checkpointedText: string
  /** The text the first document update (the checkpoint, when there is one) left. */
  restoredText: string
  errors: string[]
}

const NAMES = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Radia", "Tim"]
const COLORS = ["#c2410c", "#15803d", "#1d4ed8", "#7e22ce", "#be123c", "#0f766e", "#a16207", "#4338ca"]

const { docUrl } = (await (await fetch("/config.json")).json()) as { docUrl: string }
const editor = document.querySelector<HTMLTextAreaElement>('[data-testid="editor"]')!
const statusBadge = document.querySelector<HTMLElement>('[data-testid="status"]')!
const savedBadge = document.querySelector<HTMLElement>('[data-testid="saved"]')!
const peerList = document.querySelector<HTMLElement>('[data-testid="peers"]')!

const diagnostics: CollabDiagnostics = { status: "connecting", synced: false, pending: 0, checkpoints: 0, checkpointedText: "", restoredText: "", errors: [] }
;(globalThis as unknown as { collabApp: CollabDiagnostics }).collabApp = diagnostics

const doc = new Doc()
const provider = new DurableYjsProvider(doc, {
  url: docUrl,
  // sessionStorage: one checkpoint per window that survives its reloads; two windows
  // of one browser never share (and so never overwrite) each other's outbox.
  storage: keyValueStorage(sessionStorage),
  checkpointIntervalMs: 250,
  // Come back quickly after the network returns (defaults wait up to 10 s between tries).
  retry: { maxDelayMs: 1000 },
  reconnect: { maxDelayMs: 1000 },
})
const text = doc.getText("text")

// A name per window, kept across reloads.
const me = Number(sessionStorage.getItem("collab:me") ?? Math.floor(Math.random() * NAMES.length))
sessionStorage.setItem("collab:me", String(me))
provider.awareness.setLocalStateField("user", { name: NAMES[me % NAMES.length], color: COLORS[me % COLORS.length] })

const showStatus = (status: ProviderStatus): void => {
  diagnostics.status = status
  statusBadge.textContent = status
  statusBadge.dataset.status = status
}
provider.on("status", ({ status }) => showStatus(status))
provider.on("sync", (synced) => (diagnostics.synced = synced))
provider.on("pending", (count) => {
  diagnostics.pending = count
  savedBadge.textContent = count === 0 ? "saved" : `${count} unsaved edit${count === 1 ? "" : "s"}`
})
provider.on("checkpoint", () => {
  diagnostics.checkpoints++
  diagnostics.checkpointedText = text.toString()
})
provider.on("error", (error) => diagnostics.errors.push(`${error.name}: ${error.message}`))

// Whatever the checkpoint held is in the document before the first byte arrives.
doc.once("update", () => (diagnostics.restoredText ||= text.toString()))
bindTextarea(editor, text, provider.awareness)
editor.disabled = false

function renderPeers(): void {
  const items = [...provider.awareness.getStates()].flatMap(([clientID, state]) => {
    const user = state.user as { name: string; color: string } | undefined
    if (!user) return []
    const cursor = state.cursor as { head: number } | undefined
    const item = document.createElement("li")
    item.dataset.testid = "peer"
    item.style.background = user.color
    const where = cursor ? ` @${cursor.head}` : ""
    item.textContent = `${user.name}${clientID === doc.clientID ? " (you)" : ""}${where}`
    return [item]
  })
  peerList.replaceChildren(...items)
}
provider.awareness.on("change", renderPeers)
renderPeers()

// Leaving says goodbye on the awareness stream and stores a last checkpoint.
addEventListener("pagehide", () => void provider.destroy())
