/**
 * Fetch wrappers for the provider's tests: one that counts the bytes of every
 * GET body and records requests, one that can drop the network (failing new
 * requests and cutting the ones in flight, as a lost connection does).
 */
export interface NetworkLog {
  /** Body bytes received by GETs (reads), SSE and long-poll included. */
  bytesRead: number
  /** `METHOD url` of every request. */
  requests: string[]
}

export interface Network {
  fetch: typeof fetch
  log: NetworkLog
  /** Cuts every request in flight and fails new ones until `online()`. */
  offline(): void
  online(): void
  readonly isOffline: boolean
}

export function createNetwork(): Network {
  const log: NetworkLog = { bytesRead: 0, requests: [] }
  let down = false
  const inFlight = new Set<AbortController>()
  const wrapped = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? "GET"
    const url = String(input instanceof Request ? input.url : input)
    log.requests.push(`${method} ${url}`)
    if (down) throw new TypeError("fetch failed (the test network is offline)")
    const cut = new AbortController()
    inFlight.add(cut)
    const signal = init?.signal ? AbortSignal.any([init.signal, cut.signal]) : cut.signal
    try {
      const response = await globalThis.fetch(input, { ...init, signal })
      if (method !== "GET" || !response.body) {
        inFlight.delete(cut)
        return response
      }
      const counted = response.body.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            log.bytesRead += chunk.byteLength
            controller.enqueue(chunk)
          },
          flush() {
            inFlight.delete(cut)
          },
        })
      )
      return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers })
    } catch (error) {
      inFlight.delete(cut)
      if (cut.signal.aborted) throw new TypeError("fetch failed (the test network went offline)")
      throw error
    }
  }
  return {
    fetch: wrapped as typeof fetch,
    log,
    offline() {
      down = true
      for (const cut of inFlight) cut.abort()
      inFlight.clear()
    },
    online() {
      down = false
    },
    get isOffline() {
      return down
    },
  }
}
