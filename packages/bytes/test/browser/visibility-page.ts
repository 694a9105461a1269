// Runs in the Chromium page of the visibility test (bundled by esbuild).
// Reads one JSON stream of numbered messages live, with the SDK's default
// lifecycle sources (this page's `document`), and records what it received
// and how the session saw itself.
import { DurableStream, type SessionHealth } from "../../src/index"

interface PageState {
  received: number[]
  offset: string
  health: SessionHealth | undefined
  done: boolean
  error: string | undefined
}

const url = new URLSearchParams(location.search).get("stream")
const state: PageState = { received: [], offset: "-1", health: undefined, done: false, error: undefined }
;(globalThis as unknown as { pageState: PageState }).pageState = state

async function run(): Promise<void> {
  if (!url) throw new Error("missing ?stream=")
  const session = new DurableStream({ url, contentType: "application/json" }).read({ live: "sse" })
  session.onHealthChange((health) => (state.health = health))
  const decoder = new TextDecoder()
  for await (const chunk of session) {
    const text = decoder.decode(chunk.data).trim()
    if (text !== "") state.received.push(...(JSON.parse(text) as number[]))
    state.offset = session.offset
  }
  state.done = true
}

run().catch((error: unknown) => {
  state.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
})
