import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream } from "../../src/index"
import { expectStreamError } from "./support"

// Every test uses its own stream name, so one server serves the whole file.
const ref = useReferenceServer()

function textStream(url = ref.streamUrl()): DurableStream {
  return new DurableStream({ url, contentType: "text/plain" })
}

describe("create", () => {
  it("answers 201 for a new stream and 200 (created=false) for an identical repeat", async () => {
    const stream = textStream()
    const first = await stream.create()
    expect(first.created).toBe(true)
    expect(stream.created).toBe(true)
    expect(first.closed).toBe(false)
    expect(first.contentType).toBe("text/plain")

    const again = await stream.create()
    expect(again.created).toBe(false)
    expect(stream.created).toBe(false)
    expect(again.offset).toBe(first.offset)

    // The static form on a fresh handle sees the same existing stream.
    const other = await DurableStream.create({ url: stream.url, contentType: "text/plain" })
    expect(other.created).toBe(false)
  })

  it("rejects a create with a different configuration as CONFLICT", async () => {
    const stream = textStream()
    await stream.create()
    const otherType = new DurableStream({ url: stream.url })
    const error = await expectStreamError(otherType.create({ contentType: "application/json" }), "CONFLICT")
    expect(error.status).toBe(409)
    expect(error.operation).toBe("create")
    expect(error.message).toContain(stream.url)

    await expectStreamError(stream.create({ ttlSeconds: 60 }), "CONFLICT")
  })

  it("reports ttlSeconds in HEAD", async () => {
    const stream = await DurableStream.create({
      url: ref.streamUrl(),
      contentType: "text/plain",
      ttlSeconds: 3600,
    })
    const info = await stream.head()
    expect(info.ttlSeconds).toBe(3600)
    expect(info.expiresAt).toBeUndefined()
  })

  it("reports expiresAt in HEAD as the same instant", async () => {
    const expiresAt = new Date(Date.now() + 3_600_000)
    const stream = await DurableStream.create({
      url: ref.streamUrl(),
      contentType: "text/plain",
      expiresAt,
    })
    const info = await stream.head()
    expect(info.expiresAt).toBeDefined()
    expect(Date.parse(info.expiresAt!)).toBe(expiresAt.getTime())
    expect(info.ttlSeconds).toBeUndefined()
  })

  it("stores an initial body and keeps appending after it", async () => {
    const stream = textStream()
    const created = await stream.create({ body: "first line\n" })
    expect(created.created).toBe(true)
    const head = await stream.head()
    expect(head.offset).toBe(created.offset)

    await stream.append("second line\n")
    expect(await stream.read().text()).toBe("first line\nsecond line\n")
  })

  it("creates a stream already closed whose body is the whole content", async () => {
    const url = ref.streamUrl()
    const stream = await DurableStream.create({
      url,
      contentType: "text/plain",
      closed: true,
      body: "the whole story",
    })
    const info = await stream.head()
    expect(info.closed).toBe(true)

    const session = stream.read()
    expect(await session.text()).toBe("the whole story")
    expect(session.closed).toBe(true)

    await expectStreamError(stream.append("more"), "STREAM_CLOSED")
  })
})

describe("connect and head", () => {
  it("connect on a missing stream fails with NOT_FOUND naming the URL", async () => {
    const url = ref.streamUrl()
    const error = await expectStreamError(DurableStream.connect({ url }), "NOT_FOUND")
    expect(error.status).toBe(404)
    expect(error.url).toBe(url)
    expect(error.message).toContain(url)
  })

  it("connect learns the content type, so appends need no configuration", async () => {
    const url = ref.streamUrl()
    await DurableStream.create({ url, contentType: "application/octet-stream" })
    const stream = await DurableStream.connect({ url })
    expect(stream.contentType).toBe("application/octet-stream")
    await stream.append(new Uint8Array([1, 2, 3]))
    expect(Array.from(await stream.read().bytes())).toEqual([1, 2, 3])
  })

  it("head reports content type, the tail offset and whether the stream is closed", async () => {
    const stream = textStream()
    const created = await stream.create()
    const before = await DurableStream.head({ url: stream.url })
    expect(before.contentType).toBe("text/plain")
    expect(before.offset).toBe(created.offset)
    expect(before.closed).toBe(false)

    const appended = await stream.append("x")
    const after = await stream.head()
    expect(after.offset).toBe(appended.offset)
    expect(after.offset).not.toBe(before.offset)
  })
})

describe("append", () => {
  it("returns a new tail offset per append, and each offset resumes right after its append", async () => {
    const stream = textStream()
    const created = await stream.create()
    const pieces = ["alpha ", "beta ", "gamma ", "delta"]
    const offsets: string[] = [created.offset!]
    for (const piece of pieces) {
      const result = await stream.append(piece)
      expect(result.closed).toBe(false)
      offsets.push(result.offset!)
    }
    expect(new Set(offsets).size).toBe(offsets.length)
    // The protocol makes offsets lexicographically ordered within a stream.
    expect([...offsets].sort()).toEqual(offsets)
    expect((await stream.head()).offset).toBe(offsets[offsets.length - 1])

    // Reading from the offset an append returned yields exactly what came after it.
    for (let index = 0; index < offsets.length; index++) {
      const rest = await stream.read({ offset: offsets[index] }).text()
      expect(rest).toBe(pieces.slice(index).join(""))
    }
  })

  it("enforces Stream-Seq ordering: a repeated or lower seq is SEQUENCE_CONFLICT and stores nothing", async () => {
    const stream = textStream()
    await stream.create()
    await stream.append("a", { seq: "0001" })
    await stream.append("b", { seq: "0002" })

    const regression = await expectStreamError(stream.append("X", { seq: "0001" }), "SEQUENCE_CONFLICT")
    expect(regression.status).toBe(409)
    expect(regression.message).toContain(stream.url)
    await expectStreamError(stream.append("Y", { seq: "0002" }), "SEQUENCE_CONFLICT")

    await stream.append("c", { seq: "0003" })
    expect(await stream.read().text()).toBe("abc")
  })
})

describe("close", () => {
  it("is idempotent without a body", async () => {
    const stream = textStream()
    await stream.create()
    const tail = await stream.append("data")
    const first = await stream.close()
    expect(first.closed).toBe(true)
    expect(first.offset).toBe(tail.offset)

    const second = await stream.close()
    expect(second.closed).toBe(true)
    expect(second.offset).toBe(first.offset)
    expect((await stream.head()).closed).toBe(true)
  })

  it("with a body appends it atomically and returns the final offset", async () => {
    const stream = textStream()
    await stream.create()
    const before = await stream.append("body ")
    const final = await stream.close({ body: "and goodbye" })
    expect(final.closed).toBe(true)
    expect(final.offset).not.toBe(before.offset)

    const info = await stream.head()
    expect(info.offset).toBe(final.offset)
    expect(info.closed).toBe(true)

    const session = stream.read()
    expect(await session.text()).toBe("body and goodbye")
    expect(session.offset).toBe(final.offset)
  })

  it("makes later appends fail with STREAM_CLOSED carrying the final offset", async () => {
    const stream = textStream()
    await stream.create()
    await stream.append("last words")
    const final = await stream.close()

    const error = await expectStreamError(stream.append("too late"), "STREAM_CLOSED")
    expect(error.status).toBe(409)
    expect(error.offset).toBe(final.offset)
    expect(error.message).toContain(stream.url)

    // A close with data is an append too, so it is refused the same way.
    const closeAgain = await expectStreamError(stream.close({ body: "p.s." }), "STREAM_CLOSED")
    expect(closeAgain.offset).toBe(final.offset)
    expect(await stream.read().text()).toBe("last words")
  })
})

describe("delete", () => {
  it("removes the stream: head, read and a second delete are NOT_FOUND", async () => {
    const stream = textStream()
    await stream.create()
    await stream.append("soon gone")
    await stream.delete()

    await expectStreamError(stream.head(), "NOT_FOUND")
    for (const live of [false, "long-poll", "sse", "auto"] as const) {
      const error = await expectStreamError(stream.read({ live }).text(), "NOT_FOUND")
      expect(error.operation).toBe("read")
      expect(error.message).toContain(stream.url)
    }
    await expectStreamError(DurableStream.delete({ url: stream.url }), "NOT_FOUND")
  })

  it("frees the URL for a new stream with another configuration", async () => {
    const stream = textStream()
    await stream.create()
    await stream.append("old")
    await stream.delete()

    const fresh = await DurableStream.create({ url: stream.url, contentType: "application/octet-stream" })
    expect(fresh.created).toBe(true)
    expect((await fresh.read().bytes()).length).toBe(0)
  })
})
