import { describe, expect, it } from "vitest"
import { readSseEvents, type SseEvent } from "../../src/sse-events"
import { ControlledBody, bytes, concat } from "./support/msw"

function bodyOf(chunks: ReadonlyArray<Uint8Array>, close = true): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
      if (close) controller.close()
    },
  })
}

async function parse(chunks: ReadonlyArray<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = []
  for await (const event of readSseEvents(bodyOf(chunks))) events.push(event)
  return events
}

const parseText = (text: string): Promise<SseEvent[]> => parse([bytes(text)])

/** Every way to cut `all` into two pieces, plus one byte per chunk. */
function splits(all: Uint8Array): Uint8Array[][] {
  const out: Uint8Array[][] = []
  for (let cut = 1; cut < all.length; cut++) out.push([all.slice(0, cut), all.slice(cut)])
  out.push(Array.from(all, (byte) => Uint8Array.of(byte)))
  return out
}

describe("readSseEvents: line endings", () => {
  const expected: SseEvent[] = [
    { event: "data", data: "first" },
    { event: "control", data: '{"streamNextOffset":"0001"}' },
  ]

  for (const [name, eol] of [
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR", "\r"],
  ] as const) {
    it(`parses events terminated by ${name}`, async () => {
      const stream =
        `event: data${eol}data: first${eol}${eol}` +
        `event: control${eol}data: {"streamNextOffset":"0001"}${eol}${eol}`
      expect(await parseText(stream)).toEqual(expected)
    })
  }

  it("parses a stream that mixes LF, CRLF and CR", async () => {
    const stream =
      "event: data\r\ndata: first\n\r" + 'event: control\rdata: {"streamNextOffset":"0001"}\r\n\n'
    expect(await parseText(stream)).toEqual(expected)
  })

  it("reads a CRLF split by an empty chunk as one line end", async () => {
    // A CR ends a line at once; the LF that follows, even after an empty read, must not add a blank line.
    const chunks = ["data: first\r", "", "\ndata: second\r", "\n\r\n"].map((text) => bytes(text))
    expect(await parse(chunks)).toEqual([{ event: undefined, data: "first\nsecond" }])
  })

  it("delivers the last event when the stream ends right after its CR terminator", async () => {
    // A trailing CR could be the first half of a CRLF while the stream is
    // open; at end of stream it is a line end, so the event is complete.
    expect(await parseText("event: control\rdata: done\r\r")).toEqual([
      { event: "control", data: "done" },
    ])
  })

  it("drops an event whose terminating blank line never arrived", async () => {
    expect(await parseText("event: data\ndata: complete\n\nevent: data\ndata: partial\n")).toEqual([
      { event: "data", data: "complete" },
    ])
  })
})

describe("readSseEvents: field rules", () => {
  it("joins multi-line data with \\n", async () => {
    expect(await parseText("event: data\ndata: a\ndata: b\ndata: c\n\n")).toEqual([
      { event: "data", data: "a\nb\nc" },
    ])
  })

  it("strips exactly one space after the colon", async () => {
    expect(await parseText("data:x\n\ndata: x\n\ndata:  x\n\ndata:   x\n\n")).toEqual([
      { event: undefined, data: "x" },
      { event: undefined, data: "x" },
      { event: undefined, data: " x" },
      { event: undefined, data: "  x" },
    ])
  })

  it("does not break lines at U+2028, U+2029 or U+0085", async () => {
    const payload = "a\u2028b\u2029c\u0085d"
    expect(await parseText(`event: data\ndata: ${payload}\n\n`)).toEqual([
      { event: "data", data: payload },
    ])
  })

  it("ignores comment lines, between and inside events", async () => {
    const stream = ": keep-alive\n\nevent: data\n: a comment\ndata: one\n:another\n\n: tail\n"
    expect(await parseText(stream)).toEqual([{ event: "data", data: "one" }])
  })

  it("dispatches an event with an empty data line as empty data", async () => {
    expect(await parseText("event: data\ndata:\n\n")).toEqual([{ event: "data", data: "" }])
  })

  it("reports events without an event field as type undefined", async () => {
    expect(await parseText("data: hi\n\n")).toEqual([{ event: undefined, data: "hi" }])
  })

  it("keeps multi-byte UTF-8 characters split across chunks intact", async () => {
    const all = bytes("event: data\ndata: é😀ü\n\n")
    const emoji = all.indexOf(0xf0)
    expect(await parse([all.slice(0, emoji + 2), all.slice(emoji + 2)])).toEqual([
      { event: "data", data: "é😀ü" },
    ])
  })
})

describe("readSseEvents: arbitrary chunking", () => {
  const stream =
    ": hello\r\n" +
    "event: data\r\ndata: line one\r\ndata:  two spaced\r\n\r\n" +
    "event: data\rdata: é😀\u2028x\r\r" +
    'event: control\ndata: {"streamNextOffset":"0002","upToDate":true}\n\n' +
    "event: mystery\ndata: ignored by sessions, not by the parser\n\n" +
    "event: data\r\ndata: last\r\r\n"
  const expected: SseEvent[] = [
    { event: "data", data: "line one\n two spaced" },
    { event: "data", data: "é😀\u2028x" },
    { event: "control", data: '{"streamNextOffset":"0002","upToDate":true}' },
    { event: "mystery", data: "ignored by sessions, not by the parser" },
    { event: "data", data: "last" },
  ]
  const all = bytes(stream)

  it("parses the unsplit stream", async () => {
    expect(await parse([all])).toEqual(expected)
  })

  it("parses the same events whatever byte boundary splits the stream", async () => {
    for (const pieces of splits(all)) {
      expect(concat(pieces)).toEqual(all)
      expect(await parse(pieces)).toEqual(expected)
    }
  })
})

describe("readSseEvents: releasing the connection", () => {
  it("cancels the body when the consumer stops early", async () => {
    const body = new ControlledBody()
    body.push("event: data\ndata: one\n\n")
    const events = readSseEvents(body.stream)
    const first = await events.next()
    expect(first.value).toEqual({ event: "data", data: "one" })
    await events.return(undefined)
    await body.finished
    expect(body.isEnded).toBe(true)
  })
})
