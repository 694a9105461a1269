// Entry point of the browser bundle.
import { StrictMode } from "react"
import { createRoot } from "react-dom/client"
import type { UIMessage } from "ai"
import { App } from "./App"

/** The chat lives in the URL (`?chat=…`), so a reload or a second window opens the same one. */
function chatId(): string {
  const url = new URL(location.href)
  let id = url.searchParams.get("chat")
  if (!id) {
    id = crypto.randomUUID().slice(0, 8)
    url.searchParams.set("chat", id)
    history.replaceState(null, "", url)
  }
  return id
}

async function start(): Promise<void> {
  const id = chatId()
  // The app's own persistence: the messages as of the last request. The
  // answer being written is not there; useChat's resume brings it back.
  const response = await fetch(`/api/chats/${encodeURIComponent(id)}`)
  const messages = (await response.json()) as UIMessage[]
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App id={id} initialMessages={messages} />
    </StrictMode>
  )
}

void start()
