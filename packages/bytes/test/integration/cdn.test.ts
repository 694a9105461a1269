// Reads through a real HTTP cache (nginx with the root README's
// configuration) in front of the reference server. The cache can only help
// when readers ask for the same URLs: catch-up by plain GETs, long-polls that
// echo the server's cursor. A counter between nginx and the server tells the
// requests that reached the origin from the ones the cache answered.
import {
  NGINX_MISSING_MESSAGE,
  hasNginx,
  startCachingProxy,
  startReferenceServer,
  type CachingProxy,
  type OriginRequestFilter,
  type ReferenceServer,
} from "@durable-client/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DurableStream, type LiveMode, type ReadSession } from "../../src/index"
import { fromUtf8, waitFor } from "./support"

const nginx = hasNginx()
if (!nginx) console.warn(NGINX_MISSING_MESSAGE)

const JSON_TYPE = "application/json"
const ALL_MODES: readonly LiveMode[] = [false, "long-poll", "sse", "auto"]

interface Reader {
  session: ReadSession
  messages: unknown[]
  upToDate: boolean
  done: Promise<void>
}

describe.skipIf(!nginx)("reads through a caching proxy", () => {
  let ref: ReferenceServer
  let cdn: CachingProxy
  const readers: Reader[] = []

  beforeAll(async () => {
    // A server wait longer than any test phase, so long-polls end by data, not by timeouts.
    ref = await startReferenceServer({ longPollTimeoutMs: 10_000 })
    cdn = await startCachingProxy({ origin: ref.url })
  })
  afterAll(async () => {
    await Promise.all(readers.map((reader) => reader.session.cancel()))
    await cdn?.stop()
    await ref?.stop()
  })

  /** A JSON stream holding `messages`, written at the origin; returns its origin URL. */
  async function createStream(messages: unknown[] = []): Promise<string> {
    const url = ref.streamUrl()
    const stream = await DurableStream.create({ url, contentType: JSON_TYPE })
    for (let start = 0; start < messages.length; start += 500) {
      await stream.append(JSON.stringify(messages.slice(start, start + 500)))
    }
    return url
  }

  async function append(url: string, message: unknown): Promise<void> {
    await new DurableStream({ url, contentType: JSON_TYPE }).append(JSON.stringify([message]))
  }

  /** A reader through the cache; its handle knows the content type, as one that created or connected would. */
  function startReader(url: string, offset: string, live: LiveMode): Reader {
    const session = new DurableStream({ url: cdn.through(url), contentType: JSON_TYPE }).read({ offset, live })
    const reader: Reader = { session, messages: [], upToDate: false, done: Promise.resolve() }
    reader.done = session.forEach((chunk) => {
      if (chunk.data.length > 0) reader.messages.push(...(JSON.parse(fromUtf8(chunk.data)) as unknown[]))
      reader.upToDate = chunk.upToDate
    })
    readers.push(reader)
    return reader
  }

  function originGets(url: string, query?: OriginRequestFilter["query"]) {
    return cdn.origin.select({ path: url, method: "GET", query })
  }

  it("N catch-up readers of one offset cost the origin one request", async () => {
    const history = Array.from({ length: 300 }, (_, i) => ({ i, text: "catch-up" }))
    const url = await createStream(history)
    const bodies = await Promise.all(
      Array.from({ length: 100 }, () =>
        new DurableStream({ url: cdn.through(url), contentType: JSON_TYPE }).read({ offset: "-1", live: false }).text()
      )
    )
    for (const body of bodies) expect(JSON.parse(body)).toEqual(history)
    expect(originGets(url)).toHaveLength(1)
  })

  it("N long-poll readers cost the origin at most 1.1 requests per append, and each gets every message once", async () => {
    const url = await createStream([{ n: 0 }])
    const group = Array.from({ length: 50 }, () => startReader(url, "-1", "long-poll"))
    await waitFor(() => group.every((reader) => reader.upToDate && reader.messages.length === 1), "every reader to catch up")
    const before = originGets(url).length

    const appends = 10
    for (let n = 1; n <= appends; n++) {
      await append(url, { n })
      await waitFor(() => group.every((reader) => reader.messages.length === n + 1), `every reader to get message ${n}`)
    }

    const perAppend = (originGets(url).length - before) / appends
    expect(perAppend).toBeLessThanOrEqual(1.1)
    const expected = Array.from({ length: appends + 1 }, (_, n) => ({ n }))
    for (const reader of group) expect(reader.messages).toEqual(expected)
    await Promise.all(group.map((reader) => reader.session.cancel()))
  })

  // Needs every live mode to catch up by plain GETs first (the `reads` branch):
  // an SSE request from -1 streams the whole history to each reader, uncached.
  it("SSE readers from -1 take the history from the cache: the origin sends it once, not once per reader", async () => {
    const history = Array.from({ length: 1_000 }, (_, i) => ({ i, text: "x".repeat(100) }))
    const url = await createStream(history)
    const historyBytes = JSON.stringify(history).length
    const group = Array.from({ length: 50 }, () => startReader(url, "-1", "sse"))
    await waitFor(
      () => group.every((reader) => reader.upToDate && reader.messages.length === history.length),
      "every SSE reader to catch up"
    )
    for (const reader of group) expect(reader.messages).toEqual(history)

    const originBytes = originGets(url).reduce((sum, request) => sum + request.bytes, 0)
    // One catch-up, plus a few control events per live SSE connection.
    expect(originBytes).toBeLessThan(1.5 * historyBytes)
    await Promise.all(group.map((reader) => reader.session.cancel()))
  })

  // Long-poll and SSE need the `reads` branch: today they send their first
  // request with live=..., a URL nobody reading that offset before has asked for.
  it.each(ALL_MODES)("a reader resuming from a saved offset with live=%s is answered by the cache", async (live) => {
    const url = await createStream([{ n: 1 }, { n: 2 }])
    const first = new DurableStream({ url: cdn.through(url), contentType: JSON_TYPE }).read({ live: false })
    await first.bytes()
    const saved = first.offset
    await append(url, { n: 3 })
    // Someone has read on from that offset before, so the cache holds it.
    const earlier = new DurableStream({ url: cdn.through(url), contentType: JSON_TYPE }).read({ offset: saved, live: false })
    expect(JSON.parse(await earlier.text())).toEqual([{ n: 3 }])
    expect(originGets(url, { offset: saved })).toHaveLength(1)

    const resumed = startReader(url, saved, live)
    await waitFor(() => resumed.upToDate && resumed.messages.length === 1, "the resumed reader to catch up")
    expect(resumed.messages).toEqual([{ n: 3 }])
    // Its first request, at the saved offset, never reached the origin.
    expect(originGets(url, { offset: saved })).toHaveLength(1)
    await resumed.session.cancel()
  })
})
