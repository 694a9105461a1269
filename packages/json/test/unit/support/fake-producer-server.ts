/**
 * A tiny in-memory Durable Streams server for ONE stream, speaking just
 * enough of the append side of the protocol to exercise an idempotent
 * producer realistically:
 *
 * - producer state per Producer-Id (`epoch`, `lastSeq`) with the IP-06
 *   decision table (403 fencing, 400 for a new epoch with seq != 0, 204
 *   duplicates, 409 gaps with Producer-Expected-Seq / -Received-Seq; a new
 *   producer must start at seq 0);
 * - JSON mode (one level of array flattening, `[]` and invalid JSON are 400)
 *   or byte mode (bodies concatenate);
 * - closing (`Stream-Closed: true`), with 409 + Stream-Closed afterwards and
 *   204 for a resend of the exact tuple that closed it;
 * - every request recorded, with what the server answered;
 * - fault rules: answer a status without storing, fail at the network level,
 *   store and THEN drop the response, or hold a request (until a gate
 *   opens) before it is decided;
 * - `arrival()` / `answered()`: promises for a request arriving or being
 *   answered, so tests wait for events rather than for time.
 */
import { http, HttpResponse, type HttpHandler } from "msw"

const decoder = new TextDecoder()

export interface FakeRequest {
  /** Arrival order, from 0. */
  index: number
  producerId: string | null
  epoch: string | null
  seq: string | null
  contentType: string | null
  closeHeader: string | null
  body: Uint8Array
  text: string
  /** How many earlier requests carried the same (id, epoch, seq) tuple. */
  attempt: number
  /** What the server answered; "network-error" when the response was dropped. */
  outcome: number | "network-error" | "pending"
}

export type FaultAction =
  /** Answer with this status (and headers) without storing anything. */
  | { status: number; headers?: Record<string, string> }
  /** Fail at the network level before the request is processed. */
  | { networkError: true }
  /** Process (and store) the request, then drop the response. */
  | { storeThenNetworkError: true }
  /** Hold the request before it is decided, until the promise settles (a test's gate, or another request's answer). */
  | { waitFor: Promise<void> }

export type FaultRule = (request: FakeRequest) => FaultAction | undefined

interface ProducerState {
  epoch: number
  lastSeq: number
}

export interface FakeServerOptions {
  contentType?: string
}

export class FakeProducerServer {
  readonly url: string
  readonly contentType: string
  readonly json: boolean
  /** Stored JSON messages (JSON mode). */
  readonly messages: unknown[] = []
  /** Stored bytes (byte mode). */
  bytes = new Uint8Array(0)
  readonly requests: FakeRequest[] = []
  readonly producers = new Map<string, ProducerState>()
  closed = false
  private closedBy: string | undefined
  private rules: FaultRule[] = []
  private readonly seenTuples = new Map<string, number>()
  /** Tests waiting for a request to arrive or to be answered. */
  private watchers: Array<{ answered: boolean; match: (request: FakeRequest) => boolean; resolve: (request: FakeRequest) => void }> = []

  constructor(url: string, options: FakeServerOptions = {}) {
    this.url = url
    this.contentType = options.contentType ?? "application/json"
    this.json = this.contentType.split(";")[0]!.trim().toLowerCase() === "application/json"
  }

  /** Adds a fault rule; the first rule returning an action wins. */
  fault(rule: FaultRule): this {
    this.rules.push(rule)
    return this
  }

  /** Resolves with the first request (already seen or still to come) that `match` accepts, once it has arrived. */
  arrival(match: (request: FakeRequest) => boolean): Promise<FakeRequest> {
    return this.watch(false, match)
  }

  /** Resolves with the first request `match` accepts once the server has decided its outcome. */
  answered(match: (request: FakeRequest) => boolean): Promise<FakeRequest> {
    return this.watch(true, match)
  }

  /** Starts producer state as if earlier requests had happened. */
  seedProducer(producerId: string, epoch: number, lastSeq: number): this {
    this.producers.set(producerId, { epoch, lastSeq })
    return this
  }

  get tail(): string {
    return formatOffset(this.json ? this.messages.length : this.bytes.length)
  }

  /** Requests that carried producer headers, as [epoch, seq] pairs. */
  tuples(): Array<[number, number]> {
    return this.requests.map((r) => [Number(r.epoch), Number(r.seq)])
  }

  private watch(answered: boolean, match: (request: FakeRequest) => boolean): Promise<FakeRequest> {
    const seen = this.requests.find((request) => match(request) && (!answered || request.outcome !== "pending"))
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve) => this.watchers.push({ answered, match, resolve }))
  }

  /** Wakes the tests waiting for this request. */
  private notify(request: FakeRequest): void {
    const answered = request.outcome !== "pending"
    this.watchers = this.watchers.filter((watcher) => {
      if ((watcher.answered && !answered) || !watcher.match(request)) return true
      watcher.resolve(request)
      return false
    })
  }

  handlers(): HttpHandler[] {
    return [
      http.head(this.url, () =>
        new HttpResponse(null, {
          status: 200,
          headers: {
            "Content-Type": this.contentType,
            "Stream-Next-Offset": this.tail,
            ...(this.closed ? { "Stream-Closed": "true" } : {}),
          },
        })
      ),
      http.post(this.url, async ({ request }) => this.handlePost(request)),
    ]
  }

  private async handlePost(request: Request): Promise<Response> {
    const body = new Uint8Array(await request.arrayBuffer())
    const h = request.headers
    const tuple = `${h.get("Producer-Id")}/${h.get("Producer-Epoch")}/${h.get("Producer-Seq")}`
    const attempt = this.seenTuples.get(tuple) ?? 0
    this.seenTuples.set(tuple, attempt + 1)
    const seen: FakeRequest = {
      index: this.requests.length,
      producerId: h.get("Producer-Id"),
      epoch: h.get("Producer-Epoch"),
      seq: h.get("Producer-Seq"),
      contentType: h.get("Content-Type"),
      closeHeader: h.get("Stream-Closed"),
      body,
      text: decoder.decode(body),
      attempt,
      outcome: "pending",
    }
    this.requests.push(seen)
    this.notify(seen)
    const response = await this.answer(seen, tuple)
    this.notify(seen)
    return response
  }

  /** Applies the fault rules, then the protocol; sets the request's outcome. */
  private async answer(seen: FakeRequest, tuple: string): Promise<Response> {
    let dropResponse = false
    for (const rule of this.rules) {
      const action = rule(seen)
      if (action === undefined) continue
      if ("status" in action) {
        seen.outcome = action.status
        return new HttpResponse(`injected ${action.status}`, {
          status: action.status,
          headers: action.headers,
        })
      }
      if ("networkError" in action) {
        seen.outcome = "network-error"
        return HttpResponse.error()
      }
      if ("storeThenNetworkError" in action) dropResponse = true
      if ("waitFor" in action) await action.waitFor
      break
    }

    const response = this.decide(seen, tuple)
    if (dropResponse) {
      seen.outcome = "network-error"
      return HttpResponse.error()
    }
    seen.outcome = response.status
    return response
  }

  /** The protocol's answer; stores the data when it is accepted. */
  private decide(req: FakeRequest, tuple: string): Response {
    const closing = req.closeHeader?.toLowerCase() === "true"
    const ids = [req.producerId, req.epoch, req.seq]
    const someProducerHeaders = ids.some((v) => v !== null)
    const allProducerHeaders = ids.every((v) => v !== null)
    if (someProducerHeaders && !allProducerHeaders) return text(400, "partial producer headers")
    if (req.producerId === "") return text(400, "empty Producer-Id")
    if (allProducerHeaders && (!isDecimal(req.epoch!) || !isDecimal(req.seq!))) {
      return text(400, "bad producer epoch/seq")
    }
    if (req.body.length === 0 && !closing) return text(400, "empty body")
    if (req.body.length > 0) {
      if (req.contentType === null) return text(400, "missing content type")
      if (mediaType(req.contentType) !== mediaType(this.contentType)) return text(409, "content type mismatch")
    }

    let newMessages: unknown[] = []
    if (this.json && req.body.length > 0) {
      let parsed: unknown
      try {
        parsed = JSON.parse(req.text)
      } catch {
        return text(400, "invalid JSON")
      }
      if (Array.isArray(parsed)) {
        if (parsed.length === 0) return text(400, "empty JSON array")
        newMessages = parsed
      } else {
        newMessages = [parsed]
      }
    }

    if (this.closed) {
      if (allProducerHeaders && tuple === this.closedBy) {
        return new HttpResponse(null, {
          status: 204,
          headers: { "Stream-Closed": "true", "Stream-Next-Offset": this.tail },
        })
      }
      return new HttpResponse("stream is closed", {
        status: 409,
        headers: { "Stream-Closed": "true", "Stream-Next-Offset": this.tail },
      })
    }

    const headers: Record<string, string> = {}
    if (allProducerHeaders) {
      const id = req.producerId!
      const epoch = Number(req.epoch)
      const seq = Number(req.seq)
      const state = this.producers.get(id)
      if (state === undefined) {
        if (seq !== 0) return gap(0, seq)
      } else if (epoch < state.epoch) {
        return new HttpResponse("stale epoch", {
          status: 403,
          headers: { "Producer-Epoch": String(state.epoch) },
        })
      } else if (epoch > state.epoch) {
        if (seq !== 0) return text(400, "new epoch must start at seq 0")
      } else if (seq <= state.lastSeq) {
        return new HttpResponse(null, {
          status: 204,
          headers: { "Producer-Epoch": String(state.epoch), "Producer-Seq": String(state.lastSeq) },
        })
      } else if (seq > state.lastSeq + 1) {
        return gap(state.lastSeq + 1, seq)
      }
      this.producers.set(id, { epoch, lastSeq: seq })
      headers["Producer-Epoch"] = String(epoch)
      headers["Producer-Seq"] = String(seq)
    }

    if (this.json) {
      this.messages.push(...newMessages)
    } else if (req.body.length > 0) {
      const joined = new Uint8Array(this.bytes.length + req.body.length)
      joined.set(this.bytes)
      joined.set(req.body, this.bytes.length)
      this.bytes = joined
    }
    headers["Stream-Next-Offset"] = this.tail
    if (closing) {
      this.closed = true
      this.closedBy = allProducerHeaders ? tuple : undefined
      headers["Stream-Closed"] = "true"
      // Like the reference server: a close-only request answers 204.
      if (req.body.length === 0) return new HttpResponse(null, { status: 204, headers })
    }
    return new HttpResponse(null, { status: allProducerHeaders ? 200 : 204, headers })
  }
}

export function formatOffset(n: number): string {
  return String(n).padStart(8, "0")
}

function text(status: number, message: string): Response {
  return new HttpResponse(message, { status })
}

function gap(expected: number, received: number): Response {
  return new HttpResponse("sequence gap", {
    status: 409,
    headers: {
      "Producer-Expected-Seq": String(expected),
      "Producer-Received-Seq": String(received),
    },
  })
}

function isDecimal(value: string): boolean {
  return /^\d+$/.test(value) && Number.isSafeInteger(Number(value))
}

function mediaType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase()
}
