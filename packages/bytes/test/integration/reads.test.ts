import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, type LiveMode, type ReadSession, type StreamChunk } from "../../src/index"
import {
  allByteValues,
  concat,
  delay,
  expectSameBytes,
  expectStreamError,
  fromUtf8,
  seededRandom,
  utf8,
  waitFor,
} from "./support"

const ref = useReferenceServer()

const ALL_MODES: readonly LiveMode[] = [false, "long-poll", "sse", "auto"]
const LIVE_MODES = ["long-poll", "sse", "auto"] as const

async function createStream(contentType: string): Promise<DurableStream> {
  return DurableStream.create({ url: ref.streamUrl(), contentType })
}

async function collect(session: ReadSession): Promise<StreamChunk[]> {
  const chunks: StreamChunk[] = []
  for await (const chunk of session) chunks.push(chunk)
  return chunks
}

describe("catch-up reads", () => {
  it("return exactly the text appended, then stop at the tail without claiming EOF", async () => {
    const stream = await createStream("text/plain; charset=utf-8")
    const pieces = ["first line\n", "ünïcödé — 日本語 — 🚀\n", "last, no newline"]
    for (const piece of pieces) await stream.append(piece)
    const tail = (await stream.head()).offset

    const session = stream.read({ live: false })
    const chunks = await collect(session)
    expect(fromUtf8(concat(chunks.map((chunk) => chunk.data)))).toBe(pieces.join(""))
    expect(chunks[chunks.length - 1]!.upToDate).toBe(true)
    expect(chunks.some((chunk) => chunk.closed)).toBe(false)
    expect(session.offset).toBe(tail)
    expect(session.upToDate).toBe(true)
    expect(session.closed).toBe(false)
    expect(session.status).toBe("closed")
  })

  it("return every one of the 256 byte values unchanged", async () => {
    const stream = await createStream("application/octet-stream")
    const values = allByteValues()
    await stream.append(values)
    await stream.append(values.slice().reverse())
    const bytes = await stream.read().bytes()
    expectSameBytes(bytes, concat([values, values.slice().reverse()]))
  })

  it("of an empty stream yield no data and end up to date", async () => {
    const stream = await createStream("application/octet-stream")
    const session = stream.read()
    const chunks = await collect(session)
    expect(concat(chunks.map((chunk) => chunk.data)).length).toBe(0)
    expect(session.upToDate).toBe(true)
  })
})

describe("end of stream", () => {
  it.each(ALL_MODES)("in live=%s mode ends iteration on a chunk with closed=true", async (live) => {
    const stream = await createStream("application/octet-stream")
    await stream.append(allByteValues())
    const final = await stream.close({ body: allByteValues().reverse() })

    const session = stream.read({ live })
    const chunks = await collect(session)
    expect(chunks.length).toBeGreaterThan(0)
    expect(chunks[chunks.length - 1]!.closed).toBe(true)
    expect(chunks.slice(0, -1).some((chunk) => chunk.closed)).toBe(false)
    expectSameBytes(
      concat(chunks.map((chunk) => chunk.data)),
      concat([allByteValues(), allByteValues().reverse()])
    )
    expect(session.closed).toBe(true)
    expect(session.offset).toBe(final.offset)
    expect(session.status).toBe("closed")
  })

  it.each(LIVE_MODES)("reached while tailing in %s mode ends iteration", async (live) => {
    const stream = await createStream("text/plain")
    const session = stream.read({ live })
    const reading = session.text()
    await waitFor(() => session.upToDate, `${live} reader to catch up`)
    // Let the reader settle into its live request before the close arrives.
    await delay(30)
    await stream.close({ body: "the end" })
    expect(await reading).toBe("the end")
    expect(session.closed).toBe(true)
  })

  it("subscribe resolves at EOF after handling every chunk", async () => {
    const stream = await createStream("text/plain")
    await stream.append("one ")
    const session = stream.read({ live: "sse" })
    const seen: string[] = []
    const done = session.forEach(async (chunk) => {
      seen.push(fromUtf8(chunk.data))
      if (chunk.upToDate && !chunk.closed && seen.join("") === "one ") {
        await stream.close({ body: "two" })
      }
    })
    await done
    expect(seen.join("")).toBe("one two")
    expect(session.closed).toBe(true)
  })
})

describe('offset "now"', () => {
  it.each(LIVE_MODES)("in %s mode skips the history and receives later appends live", async (live) => {
    const stream = await createStream("text/plain")
    await stream.append("history the reader must not see\n")
    const later = ["later one\n", "later two\n", "later three\n"]

    const session = stream.read({ offset: "now", live })
    let writer: Promise<void> | undefined
    const chunks: StreamChunk[] = []
    for await (const chunk of session) {
      chunks.push(chunk)
      if (chunk.upToDate && writer === undefined) {
        // Write only once the reader has resolved "now" and is tailing, so
        // the data can only reach it through the live transport.
        writer = (async () => {
          await delay(30)
          for (const piece of later) await stream.append(piece)
          await stream.close()
        })()
      }
    }
    await writer
    expect(chunks[0]!.data.length).toBe(0)
    expect(fromUtf8(concat(chunks.map((chunk) => chunk.data)))).toBe(later.join(""))
    expect(session.closed).toBe(true)
    expect(session.liveTransport).toBe(live === "auto" ? "sse" : live)
  })

  it("with live=false returns nothing but a resumable tail offset", async () => {
    const stream = await createStream("text/plain")
    const tail = await stream.append("old")
    const session = stream.read({ offset: "now" })
    expect(await session.text()).toBe("")
    expect(session.offset).toBe(tail.offset)

    await stream.append("new")
    expect(await stream.read({ offset: session.offset }).text()).toBe("new")
  })
})

describe("live sessions", () => {
  it("reports liveTransport on the very first chunk a long-poll answers", async () => {
    const stream = await createStream("text/plain")
    const tail = await stream.append("old")
    const session = stream.read({ offset: tail.offset!, live: "long-poll" })
    const iterator = session[Symbol.asyncIterator]()
    // The plain catch-up GET comes first and finds nothing new: no live transport yet.
    const caughtUp = await iterator.next()
    expect(caughtUp.value).toMatchObject({ offset: tail.offset, upToDate: true })
    expect(session.liveTransport).toBeUndefined()
    // Whether this lands before or during the first poll, that poll answers with it.
    const writer = delay(30).then(() => stream.append("new"))
    const first = await iterator.next()
    await writer
    expect(first.done).toBe(false)
    expect(fromUtf8(first.value!.data)).toBe("new")
    expect(session.liveTransport).toBe("long-poll")
    await session.cancel()
  })
})

/**
 * Text pieces shaped around the reference server's text-mode SSE framing:
 * it writes `data:<line>` with no space, splitting on CR, LF and CRLF, so a
 * line starting with a space loses that space and CRs come back as LF.
 * Those are server limitations no client can undo, so the text stream uses
 * LF only and no leading spaces. The binary stream (base64 SSE) has no such
 * limits and carries every byte value, CR included.
 */
function textPieces(): Array<string | Uint8Array> {
  return [
    "history written before any reader\n",
    utf8("utf-8 given as bytes: héllo wörld — 日本語 — 🚀\n"),
    "no trailing newline",
    "\n\nafter two blank lines\n",
    "data: looks like an SSE field\nevent: control\nid: 7\n",
    ":looks like an SSE comment\n",
    "x".repeat(5_000),
    '{"json":"ish","n":[1,2,3]}\n',
    "tabs\tand\tunicode ✓\n",
  ]
}

function binaryPieces(): Array<string | Uint8Array> {
  const random = seededRandom(0xb17e5)
  const noise = Uint8Array.from({ length: 10_000 }, () => Math.floor(random() * 256))
  return [
    allByteValues(),
    "text appended to a binary stream\r\n",
    new Uint8Array([13, 10, 13, 13, 10, 10, 0, 0, 255]),
    noise,
    allByteValues().reverse(),
    new Uint8Array([0]),
    utf8("data: event: control\n\n"),
  ]
}

describe.each([
  { contentType: "text/plain", pieces: textPieces },
  { contentType: "application/octet-stream", pieces: binaryPieces },
])("long-poll, SSE and auto on $contentType", ({ contentType, pieces }) => {
  it("deliver identical bytes for data appended while they tail", async () => {
    const all = pieces()
    const expected = concat(all)
    const stream = await createStream(contentType)
    await stream.append(all[0]!)

    const sessions = LIVE_MODES.map((live) => stream.read({ live }))
    const results = sessions.map((session) => session.bytes())
    await waitFor(() => sessions.every((session) => session.upToDate), "all readers to catch up")

    // A mix of paced appends (each in its own live response) and
    // back-to-back ones (several in one response), ending with a close
    // that carries the last piece.
    const random = seededRandom(contentType.length)
    for (const piece of all.slice(1, -1)) {
      await stream.append(piece)
      if (random() < 0.5) await delay(15)
    }
    await stream.close({ body: all[all.length - 1]! })

    const received = await Promise.all(results)
    LIVE_MODES.forEach((live, index) => {
      expectSameBytes(received[index]!, expected, `${live} reader`)
      expect(sessions[index]!.closed).toBe(true)
    })
    expect(sessions.map((session) => session.liveTransport)).toEqual(["long-poll", "sse", "sse"])
  })
})

describe("errors", () => {
  it.each(ALL_MODES)("a read of a missing stream in live=%s mode is NOT_FOUND naming the URL", async (live) => {
    const url = ref.streamUrl()
    const stream = new DurableStream({ url, contentType: "text/plain" })
    const error = await expectStreamError(stream.read({ live }).bytes(), "NOT_FOUND")
    expect(error.status).toBe(404)
    expect(error.url).toBe(url)
    expect(error.message).toContain(url)
    expect(error.operation).toBe("read")
  })
})
