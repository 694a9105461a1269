/**
 * A fetch wrapper handed to the SDK through its `fetch` option. It lets the
 * adapter report what really went over the wire (headers and query
 * parameters sent, statuses and producer headers received) without the SDK
 * having to expose any of it.
 */
export interface Exchange {
  url: URL
  requestHeaders: Record<string, string>
  status?: number
  responseHeaders?: Headers
}

export class Recorder {
  private exchanges: Exchange[] = []

  /** Forgets everything; called at the start of each command. */
  begin(): void {
    this.exchanges = []
  }

  readonly fetch = async (input: string, init: RequestInit): Promise<Response> => {
    const exchange: Exchange = {
      url: new URL(input),
      requestHeaders: lowerCaseHeaders(new Headers(init.headers)),
    }
    this.exchanges.push(exchange)
    const response = await globalThis.fetch(input, init)
    exchange.status = response.status
    exchange.responseHeaders = response.headers
    return response
  }

  get last(): Exchange | undefined {
    return this.exchanges[this.exchanges.length - 1]
  }

  /** The status of the latest request that got a response. */
  get lastStatus(): number | undefined {
    for (let i = this.exchanges.length - 1; i >= 0; i--) {
      const status = this.exchanges[i]!.status
      if (status !== undefined) return status
    }
    return undefined
  }

  /** Largest value of a numeric response header over this command's requests. */
  maxResponseNumber(name: string): number | undefined {
    let max: number | undefined
    for (const exchange of this.exchanges) {
      const value = exchange.responseHeaders?.get(name)
      if (value === null || value === undefined || !/^\d+$/.test(value)) continue
      const n = Number(value)
      if (max === undefined || n > max) max = n
    }
    return max
  }

  /** What the latest request carried, in the result's `headersSent` / `paramsSent` shape. */
  sent(): { headersSent?: Record<string, string>; paramsSent?: Record<string, string> } {
    const last = this.last
    if (!last) return {}
    const params: Record<string, string> = {}
    last.url.searchParams.forEach((value, key) => {
      params[key] = value
    })
    return { headersSent: last.requestHeaders, paramsSent: params }
  }
}

function lowerCaseHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, key) => {
    out[key.toLowerCase()] = value
  })
  return out
}
