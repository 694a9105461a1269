// Several readers of one stream in one page (components that mount and
// unmount) share one live connection: pageSharing(), against the real
// reference server. Each reader sees every chunk from where it joined and
// keeps its own offset; when the reader holding the connection leaves,
// another takes over without losing or repeating anything.
import { Server, type IncomingMessage, type ServerResponse } from "node:http"
import { startReferenceServer, type ReferenceServer } from "@durable-client/testing"
import { waitFor } from "@durable-client/testing/vitest"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { DurableStream, type ReadSession } from "../../src/index"
import { pageSharing, tabSharing } from "../../src/tab-sharing"

interface LiveRequest {
  reader: string
  closed: boolean
}

/** Live GETs the server gets, by the reader that sent them, and whether each has ended. */
function watchLiveRequests(reference: ReferenceServer): LiveRequest[] {
  const http: unknown = Reflect.get(reference.server, "server")
  if (!(http instanceof Server)) throw new Error("cannot watch the reference server's requests: its http.Server moved")
  const log: LiveRequest[] = []
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://server")
    if (req.method !== "GET" || !url.searchParams.has("live")) return
    const entry: LiveRequest = { reader: url.searchParams.get("reader") ?? "", closed: false }
    log.push(entry)
    res.on("close", () => (entry.closed = true))
  })
  return log
}

const open = (log: readonly LiveRequest[]): string[] => log.filter((entry) => !entry.closed).map((entry) => entry.reader)
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index)

const until = (check: () => boolean, what: string): Promise<void> => waitFor(check, what, 5_000)

interface Reader {
  name: string
  session: ReadSession
  received: number[]
  /** The session's offset after each chunk: its own checkpoint. */
  offsets: string[]
  finished: Promise<void>
}

function mount(url: string, name: string, sharing: ReturnType<typeof pageSharing>, offset = "-1"): Reader {
  // `reader` rides along so the server can tell whose request each live connection is.
  const stream = new DurableStream({ url, contentType: "application/json", params: { reader: name } })
  const session = stream.read({ live: "sse", offset, shareAcrossTabs: sharing })
  const received: number[] = []
  const offsets: string[] = []
  const decoder = new TextDecoder()
  const finished = (async () => {
    for await (const chunk of session) {
      const text = decoder.decode(chunk.data).trim()
      if (text !== "") received.push(...(JSON.parse(text) as number[]))
      offsets.push(session.offset)
    }
  })()
  return { name, session, received, offsets, finished }
}

describe("pageSharing", () => {
  let reference: ReferenceServer
  let liveRequests: LiveRequest[]

  beforeAll(async () => {
    reference = await startReferenceServer({ longPollTimeoutMs: 500 })
    liveRequests = watchLiveRequests(reference)
  })
  afterAll(() => reference.stop())

  it("gives readers that come and go one live connection, every chunk from where each joined, and their own offsets", async () => {
    const url = reference.streamUrl()
    const sharing = pageSharing({ namespace: "page-test" })
    const writer = await DurableStream.create({ url, contentType: "application/json" })
    await writer.append("[1,2,3]")

    const a = mount(url, "a", sharing)
    await until(() => a.received.length === 3 && open(liveRequests).length === 1, "reader a to go live")
    expect(open(liveRequests)).toEqual(["a"])
    const afterThree = a.session.offset
    await writer.append("[4]")
    await until(() => a.received.length === 4, "message 4")

    // b mounts from a checkpoint it saved earlier; c from the beginning.
    const b = mount(url, "b", sharing, afterThree)
    const c = mount(url, "c", sharing)
    await until(() => b.received.length === 1 && c.received.length === 4, "b and c to catch up")
    let most = 0
    for (let n = 5; n <= 30; n++) {
      await writer.append(`[${n}]`)
      most = Math.max(most, open(liveRequests).length)
      await until(() => [a, b, c].every((reader) => reader.received.at(-1) === n), `everyone to get message ${n}`)
    }
    await until(() => [a, b, c].every((reader) => reader.received.at(-1) === 30), "everyone to get message 30")
    expect(most).toBe(1)
    expect(open(liveRequests)).toEqual(["a"])

    // The reader holding the connection unmounts mid-stream: another takes over from its own offset.
    const appending = (async () => {
      for (let n = 31; n <= 60; n++) {
        await writer.append(`[${n}]`)
        await until(() => [b, c].every((reader) => reader.received.at(-1) === n), `b and c to get message ${n}`)
      }
    })()
    await a.session.cancel()
    await a.finished
    await appending
    await until(() => open(liveRequests).length === 1 && open(liveRequests)[0] !== "a", "a new connection")
    await writer.close()
    await Promise.all([b.finished, c.finished])

    expect(b.received).toEqual(range(4, 60))
    expect(c.received).toEqual(range(1, 60))
    expect(a.received).toEqual(range(1, a.received.length))
    // Checkpoints are per reader: a's stayed where it left, the others' reached the end.
    expect(a.session.offset).toBe(a.offsets.at(-1))
    expect(a.session.offset < b.session.offset).toBe(true)
    expect(b.session.offset).toBe(c.session.offset)
    expect(b.session.closed && c.session.closed).toBe(true)
    // Two live connections in all: a's, then one successor's (and nothing left open).
    expect(liveRequests.filter((entry) => entry.reader !== "a")).toHaveLength(1)
    await until(() => open(liveRequests).length === 0, "all live connections to end")
  })

  it("is what tabSharing() falls back to where there is no BroadcastChannel", async () => {
    vi.stubGlobal("BroadcastChannel", undefined)
    try {
      const url = reference.streamUrl()
      const writer = await DurableStream.create({ url, contentType: "application/json" })
      const sharing = tabSharing({ namespace: "no-channel" })
      const readers = ["x", "y"].map((name) => mount(url, name, sharing))
      await until(() => open(liveRequests.slice(-2)).length === 1, "one live connection")
      for (let n = 1; n <= 5; n++) await writer.append(`[${n}]`)
      await writer.close()
      await Promise.all(readers.map((reader) => reader.finished))
      for (const reader of readers) expect(reader.received).toEqual(range(1, 5))
      expect(liveRequests.filter((entry) => entry.reader === "x" || entry.reader === "y")).toHaveLength(1)
    } finally {
      vi.unstubAllGlobals()
    }
  })
})
