// Runs in each Chromium page of the tab-sharing test (bundled by esbuild).
// Reads one JSON stream of numbered messages live, sharing one connection
// with the other pages of this origin, and records what it received.
import { DurableStream } from "../../src/index"
import { tabSharing } from "../../src/tab-sharing"

interface TabState {
  tab: string
  received: number[]
  done: boolean
  error: string | undefined
  hasLocks: boolean
}

const query = new URLSearchParams(location.search)
const url = query.get("stream")
const tab = query.get("tab") ?? "?"
const state: TabState = {
  tab,
  received: [],
  done: false,
  error: undefined,
  hasLocks: typeof navigator.locks?.request === "function",
}
;(globalThis as unknown as { tabState: TabState }).tabState = state

async function run(): Promise<void> {
  if (!url) throw new Error("missing ?stream=")
  // `tab` rides along as a query parameter so the server can tell whose
  // request each live connection is; the lock and channel names use the
  // stream URL alone, so every page still shares.
  const stream = new DurableStream({ url, contentType: "application/json", params: { tab } })
  const decoder = new TextDecoder()
  for await (const chunk of stream.read({ live: "sse", shareAcrossTabs: tabSharing() })) {
    const text = decoder.decode(chunk.data).trim()
    if (text !== "") state.received.push(...(JSON.parse(text) as number[]))
    if (chunk.closed) state.done = true
  }
  state.done = true
}

run().catch((error: unknown) => {
  state.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
})
