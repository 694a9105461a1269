// Entry point of the browser bundle.
import { StrictMode } from "react"
import { createRoot } from "react-dom/client"
import { App } from "./App"

async function start(): Promise<void> {
  // The page server says which stream holds the list.
  const response = await fetch("/config.json")
  const { streamUrl } = (await response.json()) as { streamUrl: string }
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App streamUrl={streamUrl} />
    </StrictMode>
  )
}

void start()
