import type { HeaderNames } from "./header-names.ts"

/**
 * A fetch wrapper handed to the client through its `fetch` option. It lets an
 * adapter report what really went over the wire (headers and query
 * parameters sent, statuses and producer headers received) without the
 * client having to expose any of it.
 */
export interface Exchange {
  url: URL
  requestHeaders: Headers
  status?: number
  responseHeaders?: Headers
}

export class Recorder {
  private exchanges: Exchange[] = []

  constructor(private readonly names: HeaderNames) {}

  /** Forgets everything; called at the start of each command. */
  begin(): void {
    this.exchanges = []
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input)
    const exchange: Exchange = {
      url: new URL(url),
      requestHeaders: new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)),
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

  /**
   * True while the latest request is a long-poll the server has not answered
   * yet. The server only holds a long-poll when it has nothing to send from
   * that offset, so a reader stopped at this moment is at the tail.
   */
  get heldLongPoll(): boolean {
    const last = this.last
    return last !== undefined && last.status === undefined && last.url.searchParams.get("live") === "long-poll"
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

  /**
   * What the latest request carried, as `headersSent` / `paramsSent`. Header
   * names are spelt as the test gave them (see HeaderNames).
   */
  sent(): { headersSent?: Record<string, string>; paramsSent?: Record<string, string> } {
    const last = this.last
    if (!last) return {}
    const headers: Record<string, string> = {}
    last.requestHeaders.forEach((value, name) => {
      headers[this.names.spell(name)] = value
    })
    const params: Record<string, string> = {}
    last.url.searchParams.forEach((value, key) => {
      params[key] = value
    })
    return { headersSent: headers, paramsSent: params }
  }
}
