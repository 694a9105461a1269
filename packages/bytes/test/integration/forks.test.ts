import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, ForkError, forkStream, type DurableStreamError } from "../../src/index"
import { expectStreamError } from "./support"

const ref = useReferenceServer()
const RETRY = { initialDelayMs: 5, maxDelayMs: 20, maxRetries: 3 }

async function byteStream(...parts: string[]): Promise<{ source: DurableStream; offsets: string[] }> {
  const source = await DurableStream.create({ url: ref.streamUrl(), contentType: "text/plain", retry: RETRY })
  const offsets: string[] = []
  for (const part of parts) offsets.push((await source.append(part)).offset!)
  return { source, offsets }
}

async function forkError(promise: Promise<unknown>): Promise<ForkError> {
  const error = await promise.then(
    () => expect.fail("the fork succeeded"),
    (caught: unknown) => caught
  )
  expect(error).toBeInstanceOf(ForkError)
  return error as ForkError
}

describe("DurableStream.fork", () => {
  it("forks at the tail by default: the fork holds everything so far, then its own appends", async () => {
    const { source } = await byteStream("ab", "cd")
    const fork = await source.fork({ url: ref.streamUrl() })
    expect(fork.created).toBe(true)
    expect(fork.contentType).toBe("text/plain")
    await fork.append("XY")
    await source.append("ef")
    expect(await fork.read().text()).toBe("abcdXY")
    expect(await source.read().text()).toBe("abcdef")
  })

  it("forks at an offset an append returned, and reads across the fork point from any offset", async () => {
    const { source, offsets } = await byteStream("one|", "two|", "three|")
    const fork = await source.fork({ url: ref.streamUrl(), offset: offsets[0] })
    const own = await fork.append("fork|")
    expect(await fork.read().text()).toBe("one|fork|")
    // A read that starts at the fork point sees only the fork's own data; offsets from the source's prefix work on the fork.
    expect(await fork.read({ offset: offsets[0] }).text()).toBe("fork|")
    expect(own.offset! > offsets[0]!).toBe(true)
    expect(await source.read().text()).toBe("one|two|three|")
  })

  it("forks inside an append with subOffset (in bytes for non-JSON streams)", async () => {
    const { source, offsets } = await byteStream("head|", "abcdef")
    const fork = await source.fork({ url: ref.streamUrl(), offset: offsets[0], subOffset: 3 })
    expect(await fork.read().text()).toBe("head|abc")
    await fork.append("!")
    expect(await fork.read().text()).toBe("head|abc!")
  })

  it("is idempotent: the same fork again resolves with created false", async () => {
    const { source, offsets } = await byteStream("a", "b")
    const url = ref.streamUrl()
    const first = await forkStream(source, { url, offset: offsets[0] })
    const again = await forkStream(source, { url, offset: offsets[0] })
    expect([first.created, again.created]).toEqual([true, false])
    expect(again.offset).toBe(first.offset)
  })

  it("keeps the handle's settings on the fork, or uses the target handle given", async () => {
    const seen: string[] = []
    const recording = (input: string, init: RequestInit): Promise<Response> => {
      seen.push(`${init.method} ${new Headers(init.headers).get("x-app")}`)
      return fetch(input, init)
    }
    const source = await DurableStream.create({ url: ref.streamUrl(), contentType: "text/plain", fetch: recording, headers: { "x-app": "1" } })
    await source.append("x")
    const fork = await source.fork({ url: ref.streamUrl() })
    await fork.append("y")
    expect(seen).toEqual(["PUT 1", "POST 1", "PUT 1", "POST 1"])
    const target = new DurableStream({ url: ref.streamUrl(), headers: { "x-app": "2" } })
    expect(await source.fork({ target })).toBe(target)
    expect(await target.read().text()).toBe("x")
  })

  it("can fork a closed stream; the fork starts open (FK-07)", async () => {
    const { source } = await byteStream("done")
    await source.close()
    const fork = await source.fork({ url: ref.streamUrl() })
    await fork.append("+more")
    expect(await fork.read().text()).toBe("done+more")
  })
})

describe("fork failures are typed", () => {
  it("SOURCE_NOT_FOUND when the source does not exist", async () => {
    const missing = new DurableStream({ url: ref.streamUrl(), contentType: "text/plain", retry: RETRY })
    const error = await forkError(missing.fork({ url: ref.streamUrl() }))
    expect([error.reason, error.code, error.source]).toEqual(["SOURCE_NOT_FOUND", "NOT_FOUND", missing.url])
  })

  it("SOURCE_NOT_FOUND from the HEAD when the handle does not know its content type", async () => {
    const missing = new DurableStream({ url: ref.streamUrl(), retry: RETRY })
    const target = ref.streamUrl()
    const error = await forkError(missing.fork({ url: target }))
    expect([error.reason, error.url]).toEqual(["SOURCE_NOT_FOUND", target])
  })

  it("INVALID_FORK_POINT for an offset beyond the tail or an overshooting subOffset", async () => {
    const { source, offsets } = await byteStream("a", "b")
    const other = await byteStream("a", "b", "c", "d")
    const beyond = await forkError(source.fork({ url: ref.streamUrl(), offset: other.offsets[3] }))
    expect([beyond.reason, beyond.code, beyond.status]).toEqual(["INVALID_FORK_POINT", "BAD_REQUEST", 400])
    const overshoot = await forkError(source.fork({ url: ref.streamUrl(), offset: offsets[0], subOffset: 5 }))
    expect(overshoot.reason).toBe("INVALID_FORK_POINT")
    expect(overshoot.message).toContain(source.url)
  })

  it("CONFLICT when the target exists with another configuration", async () => {
    const { source, offsets } = await byteStream("a", "b")
    const url = ref.streamUrl()
    await source.fork({ url, offset: offsets[0] })
    const other = await forkError(source.fork({ url, offset: offsets[1] }))
    expect([other.reason, other.code]).toEqual(["CONFLICT", "CONFLICT"])
    const plain = await DurableStream.create({ url: ref.streamUrl(), contentType: "text/plain" })
    expect((await forkError(source.fork({ target: plain }))).reason).toBe("CONFLICT")
  })
})

describe("fork options are checked before any request", () => {
  const source = new DurableStream({ url: "http://127.0.0.1:1/v1/stream/s", contentType: "text/plain", fetch: () => expect.fail("no request") })
  it.each([
    ["no options", undefined, "url or a target"],
    ["neither url nor target", {}, "exactly one of url and target"],
    ["both url and target", { url: "http://127.0.0.1:1/v1/stream/f", target: source }, "exactly one"],
    ["a target that is not a handle", { target: {} }, "target must be a DurableStream"],
    ["another server", { url: "http://127.0.0.2:1/v1/stream/f" }, "source's server"],
    ["the source itself", { url: source.url }, "must differ"],
    ["an empty offset", { url: "http://127.0.0.1:1/v1/stream/f", offset: "" }, "offset"],
    ["offset -1", { url: "http://127.0.0.1:1/v1/stream/f", offset: "-1" }, "offset"],
    ["a negative subOffset", { url: "http://127.0.0.1:1/v1/stream/f", offset: "1_1", subOffset: -1 }, "subOffset"],
    ["subOffset without offset", { url: "http://127.0.0.1:1/v1/stream/f", subOffset: 1 }, "subOffset needs offset"],
    ["at with offset", { url: "http://127.0.0.1:1/v1/stream/f", at: { offset: "1_1", index: 0 }, offset: "1_1" }, "at is exclusive"],
    ["at that is not a position", { url: "http://127.0.0.1:1/v1/stream/f", at: "1_1" }, "at must be a position"],
    ["at with a negative index", { url: "http://127.0.0.1:1/v1/stream/f", at: { offset: "1_1", index: -1 } }, "at.index"],
    ["at of a read from -1", { url: "http://127.0.0.1:1/v1/stream/f", at: { offset: "-1", index: 2 } }, "no server offset anchors"],
    ["ttl and expiry", { url: "http://127.0.0.1:1/v1/stream/f", ttlSeconds: 5, expiresAt: new Date() }, "mutually exclusive"],
    ["a bad expiry", { url: "http://127.0.0.1:1/v1/stream/f", expiresAt: "soon" }, "expiresAt"],
    ["a bad signal", { url: "http://127.0.0.1:1/v1/stream/f", signal: "x" }, "signal"],
  ])("%s", async (_label, options, words) => {
    const error = await expectStreamError(source.fork(options as never), "INVALID_ARGUMENT")
    expect(error.message).toContain(words)
    expect(error.message).toContain(source.url)
    expect((error as DurableStreamError).operation).toBe("fork")
  })
})
