/**
 * An in-memory Durable Stream behind msw: catch-up, long-poll and SSE reads
 * of an append-only byte log whose offsets are zero-padded byte positions.
 * Tests shape the responses (chunk sizes, SSE event splitting, connections
 * cut at a byte) to exercise the client's bookkeeping.
 */
import { http, HttpResponse, type RequestHandler } from "msw"
import { ControlledBody, SSE_HEADERS, controlEvent, record, type SeenRequest } from "./msw"

export const OFFSET_WIDTH = 10

export function offsetOf(position: number): string {
  return String(position).padStart(OFFSET_WIDTH, "0")
}

function isBinary(contentType: string): boolean {
  const type = contentType.split(";")[0]!.trim().toLowerCase()
  return !type.startsWith("text/") && type !== "application/json"
}

export interface SseShape {
  /** Bytes per control event (default: all that is available). */
  bytesPerControl?: () => number
  /** Data events per control event (default 1). */
  eventsPerControl?: () => number
  /** Wrap base64 payloads over several data lines of this length. */
  base64LineLength?: number
  /** Cut connection number `n` (0-based) after this many bytes of SSE text; undefined = no cut. */
  cutAfter?: (connection: number) => number | undefined
  /** Keep connections open at the tail of an open stream (default true). */
  keepOpen?: boolean
  /** End every connection after this many control events (a server that recycles connections). */
  controlsPerConnection?: number
}

export interface FakeStreamOptions {
  contentType?: string
  /** Largest body of one catch-up or long-poll response (default: everything). */
  maxBytes?: () => number
  sse?: SseShape
  /** Answer SSE requests at all (default true). */
  sseSupported?: boolean
  /** Runs before each request is answered (e.g. to append data as the client reconnects). */
  onRequest?: (request: SeenRequest, stream: FakeStream) => void
}

export class FakeStream {
  readonly requests: SeenRequest[] = []
  readonly contentType: string
  private data = new Uint8Array(0)
  private isClosed = false
  private listeners = new Set<() => void>()
  private sseConnections = 0
  private cursor = 1000

  constructor(
    readonly url: string,
    private readonly options: FakeStreamOptions = {}
  ) {
    this.contentType = options.contentType ?? "application/octet-stream"
  }

  get bytes(): Uint8Array {
    return this.data
  }

  get closed(): boolean {
    return this.isClosed
  }

  /** Requests of a kind: "catch-up", "long-poll" or "sse". */
  requestsOf(kind: "catch-up" | "long-poll" | "sse"): SeenRequest[] {
    return this.requests.filter((r) => (r.url.searchParams.get("live") ?? "catch-up") === kind)
  }

  append(chunk: Uint8Array): void {
    if (this.isClosed) throw new Error("fake stream is closed")
    const next = new Uint8Array(this.data.length + chunk.length)
    next.set(this.data)
    next.set(chunk, this.data.length)
    this.data = next
    this.notify()
  }

  close(): void {
    this.isClosed = true
    this.notify()
  }

  handlers(): RequestHandler[] {
    return [
      http.head(this.url, async ({ request }) => {
        await record(this.requests, request)
        return new HttpResponse(null, { status: 200, headers: this.headers(this.data.length, {}) })
      }),
      http.get(this.url, async ({ request }) => {
        const seen = await record(this.requests, request)
        this.options.onRequest?.(seen, this)
        const position = this.parseOffset(seen.url.searchParams.get("offset"))
        if (position === undefined) return new HttpResponse("bad offset", { status: 400 })
        const live = seen.url.searchParams.get("live")
        if (live === "sse") {
          if (this.options.sseSupported === false) return new HttpResponse(null, { status: 400 })
          return this.sse(request, position)
        }
        if (live === "long-poll") return this.longPoll(request, position)
        return this.catchUp(position, false)
      }),
    ]
  }

  private notify(): void {
    const listeners = [...this.listeners]
    this.listeners.clear()
    for (const listener of listeners) listener()
  }

  /** Resolves on the next append or close, or when `signal` aborts (false). */
  private change(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve(false)
      const onChange = (): void => {
        signal.removeEventListener("abort", onAbort)
        resolve(true)
      }
      const onAbort = (): void => {
        this.listeners.delete(onChange)
        resolve(false)
      }
      this.listeners.add(onChange)
      signal.addEventListener("abort", onAbort, { once: true })
    })
  }

  private parseOffset(offset: string | null): number | undefined {
    if (offset === null || offset === "-1") return 0
    if (offset === "now") return this.data.length
    if (!new RegExp(`^\\d{${OFFSET_WIDTH}}$`).test(offset)) return undefined
    const position = Number(offset)
    return position <= this.data.length ? position : undefined
  }

  private headers(end: number, extra: { cursor?: boolean }): Record<string, string> {
    const headers: Record<string, string> = {
      "content-type": this.contentType,
      "Stream-Next-Offset": offsetOf(end),
    }
    if (end === this.data.length) headers["Stream-Up-To-Date"] = "true"
    if (end === this.data.length && this.isClosed) headers["Stream-Closed"] = "true"
    if (extra.cursor) headers["Stream-Cursor"] = String(this.cursor++)
    return headers
  }

  private catchUp(position: number, cursor: boolean): Response {
    const limit = this.options.maxBytes?.() ?? Number.POSITIVE_INFINITY
    const end = Math.min(this.data.length, position + Math.max(1, limit))
    return new HttpResponse(this.data.slice(position, end), { headers: this.headers(end, { cursor }) })
  }

  private async longPoll(request: Request, position: number): Promise<Response> {
    while (position >= this.data.length && !this.isClosed) {
      if (!(await this.change(request.signal))) return HttpResponse.error()
    }
    if (position >= this.data.length) {
      return new HttpResponse(null, { status: 204, headers: this.headers(position, { cursor: true }) })
    }
    return this.catchUp(position, true)
  }

  private sse(request: Request, start: number): Response {
    const connection = this.sseConnections++
    const shape = this.options.sse ?? {}
    const binary = isBinary(this.contentType)
    const body = new ControlledBody(request.signal)
    const cut = shape.cutAfter?.(connection)
    let sent = 0
    let ended = false
    const send = (text: string): void => {
      if (ended) return
      if (cut !== undefined && sent + text.length >= cut) {
        body.push(text.slice(0, Math.max(0, cut - sent)))
        ended = true
        body.close()
        return
      }
      sent += text.length
      body.push(text)
    }
    const encode = (bytes: Uint8Array): string => {
      if (!binary) return new TextDecoder().decode(bytes)
      const text = Buffer.from(bytes).toString("base64")
      const width = shape.base64LineLength
      return width ? (text.match(new RegExp(`.{1,${width}}`, "g")) ?? [""]).join("\n") : text
    }
    const dataEvent = (payload: string): string =>
      `event: data\n${payload.split("\n").map((line) => `data: ${line}\n`).join("")}\n`

    let position = start
    let controls = 0
    let lastControlClosed = false
    const sendControl = (): void => {
      const atTail = position === this.data.length
      send(this.control(position))
      lastControlClosed = atTail && this.isClosed
      controls++
      if (shape.controlsPerConnection !== undefined && controls >= shape.controlsPerConnection) {
        ended = true
        body.close()
      }
    }
    const pump = async (): Promise<void> => {
      for (;;) {
        while (position < this.data.length && !ended) {
          const size = Math.max(1, shape.bytesPerControl?.() ?? this.data.length)
          const end = Math.min(this.data.length, position + size)
          const slice = this.data.slice(position, end)
          const pieces = Math.max(1, Math.min(slice.length, shape.eventsPerControl?.() ?? 1))
          const step = Math.ceil(slice.length / pieces)
          for (let at = 0; at < slice.length; at += step) send(dataEvent(encode(slice.subarray(at, at + step))))
          position = end
          sendControl()
        }
        if (ended) return
        if (this.isClosed) {
          if (!lastControlClosed) sendControl()
          ended = true
          body.close()
          return
        }
        if (controls === 0) {
          sendControl()
          if (ended) return
        }
        if (shape.keepOpen === false) {
          ended = true
          body.close()
          return
        }
        if (!(await this.change(request.signal))) return
      }
    }
    void pump()
    const headers: Record<string, string> = { ...SSE_HEADERS }
    if (binary) headers["stream-sse-data-encoding"] = "base64"
    return new HttpResponse(body.stream, { headers })
  }

  private control(position: number): string {
    const atTail = position === this.data.length
    const fields: Record<string, unknown> = { streamNextOffset: offsetOf(position) }
    if (atTail && this.isClosed) {
      fields.streamClosed = true
      fields.upToDate = true
    } else {
      fields.streamCursor = String(this.cursor++)
      if (atTail) fields.upToDate = true
    }
    return controlEvent(fields)
  }
}
