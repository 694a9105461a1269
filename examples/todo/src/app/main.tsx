// Entry point of the browser bundle.
import { createRoot } from "react-dom/client"
import { App } from "./App"

async function start(): Promise<void> {
  // The page server says which stream holds the list.
  const response = await fetch("/config.json")
  const { streamUrl } = (await response.json()) as { streamUrl: string }
  // Not wrapped in <StrictMode> for now: its simulated unmount disposes the
  // query useLiveQuery memoised, and the remount does not make a new one, so
  // the list would stop updating (reported as a bug in the React binding).
  createRoot(document.getElementById("root")!).render(<App streamUrl={streamUrl} />)
}

void start()
