// Every live mode starts with plain catch-up GETs (no `live` parameter)
// until the stream is up to date, and only then opens its live transport:
// catch-up responses are what a CDN can cache and share, so their URLs must
// not depend on the mode that asked for them.
import { describe, expect, it } from "vitest"
import { DurableStream, type LiveMode } from "../../src/index"
import { FakeStream, offsetOf } from "./support/fake-stream"
import { FAST_RETRY, bytes, streamUrl, take, until, useMswServer } from "./support/msw"

const server = useMswServer()

describe("catch-up before live", () => {
  it("reads history with the same plain GETs in every mode, then goes live from the tail", async () => {
    const fake = new FakeStream(streamUrl("catch-up-first"), { contentType: "text/plain", maxBytes: () => 4 })
    fake.append(bytes("0123456789"))
    server.use(...fake.handlers())
    const stream = new DurableStream({ url: fake.url, params: { tenant: "t1" }, retry: FAST_RETRY })

    const catchUpUrls = new Map<LiveMode, string[]>()
    for (const live of [false, "long-poll", "sse", "auto"] as const) {
      const before = fake.requests.length
      const session = stream.read({ live })
      const iterator = session[Symbol.asyncIterator]()
      // Three pages of history: 4 + 4 + 2 bytes, the last one up to date.
      const chunks = await take(iterator, 3)
      expect(chunks.at(-1)).toMatchObject({ offset: offsetOf(10), upToDate: true })
      const pending = live === false ? undefined : iterator.next()
      if (live !== false) await until(() => fake.requests.length === before + 4, `the ${live} request`)
      const requests = fake.requests.slice(before)
      const plain = requests.filter((r) => !r.url.searchParams.has("live"))
      catchUpUrls.set(live, plain.map((r) => r.url.href))
      expect(plain).toHaveLength(3)
      if (live !== false) {
        // Nothing live was asked for before the catch-up was done, and live starts at the tail.
        expect(requests.slice(0, 3)).toEqual(plain)
        const first = requests[3]!
        expect(first.url.searchParams.get("live")).toBe(live === "auto" ? "sse" : live)
        expect(first.url.searchParams.get("offset")).toBe(offsetOf(10))
      }
      await session.cancel()
      await pending
    }
    const expected = ["-1", offsetOf(4), offsetOf(8)].map((offset) => {
      const url = new URL(fake.url)
      url.searchParams.set("offset", offset)
      url.searchParams.set("tenant", "t1")
      return url.href
    })
    for (const urls of catchUpUrls.values()) expect(urls).toEqual(expected)
  })
})
