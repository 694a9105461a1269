// The browser side of the token-stream demo (bundled by esbuild).
//
// Reads the answer's JSON stream live and, after every batch, saves the
// text so far together with the offset right after it, in ONE localStorage
// write. After a reload the page shows the saved text and reads on from the
// saved offset, so each token is shown exactly once.
import { JsonStream, type JsonReadSession } from "@durable-client/json"

/** One message of the stream, as the model writes it. */
interface Token {
  i: number
  t: string
}

/** What survives a reload. Text and offset are saved together, so they always match. */
interface Saved {
  id: string
  streamUrl: string
  /** Resume point: the offset right after the last token in `text`. */
  offset: string
  text: string
  /** Index of the next token expected; a different one means a loss or a repeat. */
  next: number
  done: boolean
}

/** Exposed on `window.tokenStream` for curious humans and for the browser test. */
interface Diagnostics {
  saved: Saved | undefined
  /** Offsets this page load started reading from (one per load, or per new answer). */
  readsFrom: string[]
  /** Batches received by this page load. */
  batches: number
  /** Tokens out of order (lost or repeated); empty when all is well. */
  problems: string[]
  error: string | undefined
  transport: string | undefined
}

const STORAGE_KEY = "durable-client:token-stream"

const form = document.querySelector<HTMLFormElement>("#ask")!
const promptInput = document.querySelector<HTMLInputElement>("#prompt")!
const answer = document.querySelector<HTMLElement>("#answer")!
const status = document.querySelector<HTMLElement>("#status")!

const diagnostics: Diagnostics = { saved: undefined, readsFrom: [], batches: 0, problems: [], error: undefined, transport: undefined }
;(globalThis as unknown as { tokenStream: Diagnostics }).tokenStream = diagnostics

let session: JsonReadSession<Token> | undefined

function load(): Saved | undefined {
  try {
    const raw = localStorage.getItem(STORAGE_KEY)
    return raw === null ? undefined : (JSON.parse(raw) as Saved)
  } catch {
    return undefined
  }
}

function save(saved: Saved): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(saved))
}

function render(saved: Saved | undefined, note?: string): void {
  answer.textContent = saved?.text ?? ""
  if (note !== undefined) {
    status.textContent = note
  } else if (saved === undefined) {
    status.textContent = "idle"
  } else if (saved.done) {
    status.textContent = `complete · ${saved.next} tokens`
  } else {
    status.textContent = `streaming${diagnostics.transport ? ` (${diagnostics.transport})` : ""} · ${saved.next} tokens · offset ${saved.offset}`
  }
  status.classList.toggle("problem", diagnostics.problems.length > 0 || diagnostics.error !== undefined)
}

async function follow(saved: Saved): Promise<void> {
  await session?.cancel()
  diagnostics.saved = saved
  diagnostics.readsFrom.push(saved.offset)
  const stream = new JsonStream<Token>({ url: saved.streamUrl })
  const current = stream.read({ offset: saved.offset, live: "auto" })
  session = current
  render(saved, saved.offset === "-1" ? "waiting for the first tokens…" : `resuming from offset ${saved.offset}…`)
  try {
    for await (const batch of current) {
      // Apply the whole batch, then save text and offset in one write.
      let { text, next } = saved
      for (const token of batch.items) {
        if (token.i !== next) diagnostics.problems.push(`expected token ${next}, got ${token.i}`)
        text += token.t
        next = token.i + 1
      }
      saved = { ...saved, text, next, offset: batch.offset, done: batch.closed }
      save(saved)
      diagnostics.saved = saved
      diagnostics.batches++
      diagnostics.transport = current.liveTransport
      render(saved)
    }
  } catch (error) {
    diagnostics.error = error instanceof Error ? error.message : String(error)
    render(saved, `stopped: ${diagnostics.error} (reload to resume from offset ${saved.offset})`)
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault()
  void (async () => {
    const response = await fetch("/api/generate", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt: promptInput.value }),
    })
    if (!response.ok) throw new Error(`generate: HTTP ${response.status} ${await response.text()}`)
    const { id, streamUrl } = (await response.json()) as { id: string; streamUrl: string }
    diagnostics.problems = []
    const saved: Saved = { id, streamUrl, offset: "-1", text: "", next: 0, done: false }
    save(saved)
    await follow(saved)
  })().catch((error: unknown) => {
    diagnostics.error = error instanceof Error ? error.message : String(error)
    render(diagnostics.saved, `failed: ${diagnostics.error}`)
  })
})

// On load: carry on with an unfinished answer, or show the last finished one.
const previous = load()
diagnostics.saved = previous
if (previous && !previous.done) void follow(previous)
else render(previous)
