/**
 * Minimal fake Durable Streams endpoints behind an injected `fetch`, for unit
 * tests that need exact control over read batches or want to see what a
 * writer sends, without a server.
 */

type Fetch = (input: string, init: RequestInit) => Promise<Response>

export const FAKE_URL = "http://fake.invalid/v1/stream/state"

export interface FakePage {
  /** The JSON array body of this response (one read batch). */
  items: unknown[]
}

/**
 * Serves `pages` to catch-up reads: the read at `-1` gets page 0, the read at
 * the offset page i handed out gets page i + 1. The last page is up to date,
 * and closes the stream when `closed` is set. Unknown offsets get 410 Gone.
 */
export function pagedReadFetch(pages: FakePage[], options: { closed?: boolean } = {}): Fetch & { requests: string[] } {
  const offsetOf = (index: number): string => String(index + 1).padStart(8, "0")
  const requests: string[] = []
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    requests.push(input)
    if ((init.method ?? "GET") !== "GET") return new Response(null, { status: 405 })
    const offset = new URL(input).searchParams.get("offset") ?? "-1"
    const index = offset === "-1" ? 0 : pages.findIndex((_, i) => offsetOf(i) === offset) + 1
    const page = pages[index]
    // An offset this fake never handed out counts as one the server no longer retains.
    if (index <= 0 && offset !== "-1") return new Response("offset no longer retained", { status: 410 })
    if (page === undefined) return new Response("past the end", { status: 400 })
    const last = index === pages.length - 1
    const headers: Record<string, string> = {
      "content-type": "application/json",
      "stream-next-offset": offsetOf(index),
    }
    if (last) headers["stream-up-to-date"] = "true"
    if (last && options.closed) headers["stream-closed"] = "true"
    return new Response(JSON.stringify(page.items), { status: 200, headers })
  }
  return Object.assign(fetch, { requests })
}

/** Accepts every append; `messages` collects the JSON messages of every POST body in order. */
export function recordingAppendFetch(): Fetch & { messages: unknown[]; posts: number } {
  const messages: unknown[] = []
  let length = 0
  const fetch = async (input: string, init: RequestInit): Promise<Response> => {
    void input
    if (init.method !== "POST") return new Response(null, { status: 405 })
    const body = init.body
    const text =
      typeof body === "string" ? body : body instanceof Uint8Array ? new TextDecoder().decode(body) : String(body)
    const parsed: unknown = JSON.parse(text)
    const items = Array.isArray(parsed) ? parsed : [parsed]
    messages.push(...items)
    length += items.length
    recorder.posts += 1
    return new Response(null, {
      status: 200,
      headers: { "stream-next-offset": String(length).padStart(8, "0") },
    })
  }
  const recorder = Object.assign(fetch, { messages, posts: 0 })
  return recorder
}

/**
 * Never answers a request until its signal aborts (a server that is slow to
 * respond). `requested` resolves when the first request arrives.
 */
export function hangingFetch(): Fetch & { requests: number; requested: Promise<void> } {
  let arrived!: () => void
  const requested = new Promise<void>((resolve) => {
    arrived = resolve
  })
  const fetch = (_input: string, init: RequestInit): Promise<Response> => {
    recorder.requests += 1
    arrived()
    return new Promise<Response>((_, reject) => {
      const signal = init.signal
      const abort = () => reject(signal?.reason ?? new DOMException("aborted", "AbortError"))
      if (signal?.aborted) abort()
      else signal?.addEventListener("abort", abort, { once: true })
    })
  }
  const recorder = Object.assign(fetch, { requests: 0, requested })
  return recorder
}
