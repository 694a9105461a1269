import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DurableStream, type StreamChunk } from "../../src/index"
import { readSseEvents, type SseEvent } from "../../src/sse-events"
import { FakeStream, offsetOf } from "./support/fake-stream"
import { FAST_RETRY, concat, streamUrl, useMswServer } from "./support/msw"

const server = useMswServer()
const encoder = new TextEncoder()

// ---------------------------------------------------------------------------
// (1) SSE framing: any split of the byte stream parses to the same events.

type Eol = "\n" | "\r\n" | "\r"

interface ModelEvent {
  type: string | undefined
  lines: string[]
  /** Comments placed before each field line. */
  comments: Array<string | undefined>
  /** Whether to write `data:x` (no space) where the line allows it. */
  compact: boolean[]
}

// Field text never holds CR or LF; everything else goes, U+2028 and friends included.
const char = fc.constantFrom("a", "b", "z", " ", ":", "{", "}", '"', "\t", "é", "😀", "\u2028", "\u2029", "\u0085", "=", "+")
const fieldText = fc.array(char, { maxLength: 12 }).map((cs) => cs.join(""))
const eol = fc.constantFrom<Eol>("\n", "\r\n", "\r")

const modelEvent: fc.Arbitrary<ModelEvent> = fc
  .record({
    type: fc.option(fc.constantFrom("data", "control", "x-extension", "a b"), { nil: undefined }),
    lines: fc.array(fieldText, { minLength: 1, maxLength: 4 }),
  })
  .chain((event) =>
    fc.record({
      type: fc.constant(event.type),
      lines: fc.constant(event.lines),
      comments: fc.array(fc.option(fieldText, { nil: undefined }), {
        minLength: event.lines.length + 1,
        maxLength: event.lines.length + 1,
      }),
      compact: fc.array(fc.boolean(), { minLength: event.lines.length, maxLength: event.lines.length }),
    })
  )

/** Serialises events with the chosen line endings; returns the text and the events a parser must see. */
function serialise(events: ModelEvent[], eols: Eol[]): { text: string; expected: SseEvent[] } {
  let text = ""
  let i = 0
  let previous: Eol | undefined
  const line = (content: string): void => {
    let end = eols[i++ % eols.length]!
    // An empty line right after a CR must not start with LF: CR+LF would read as one line end.
    if (content === "" && previous === "\r" && end === "\n") end = "\r"
    text += content + end
    previous = end
  }
  for (const event of events) {
    if (event.type !== undefined) line(`event: ${event.type}`)
    event.lines.forEach((data, index) => {
      const comment = event.comments[index]
      if (comment !== undefined) line(`:${comment}`)
      line(event.compact[index] && !data.startsWith(" ") ? `data:${data}` : `data: ${data}`)
    })
    const trailing = event.comments[event.lines.length]
    if (trailing !== undefined) line(`:${trailing}`)
    line("")
  }
  return {
    text,
    expected: events.map((event) => ({ event: event.type, data: event.lines.join("\n") })),
  }
}

async function parseChunks(chunks: Uint8Array[]): Promise<SseEvent[]> {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk)
      controller.close()
    },
  })
  const out: SseEvent[] = []
  for await (const event of readSseEvents(body)) out.push(event)
  return out
}

function cut(all: Uint8Array, points: number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((p) => p % (all.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let from = 0
  for (const point of sorted) {
    out.push(all.slice(from, point))
    from = point
  }
  out.push(all.slice(from))
  return out
}

describe("property: SSE framing is independent of chunking", () => {
  it("parses any split of an event stream to the events that were written", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(modelEvent, { minLength: 1, maxLength: 6 }),
        fc.array(eol, { minLength: 1, maxLength: 7 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (events, eols, points) => {
          const { text, expected } = serialise(events, eols)
          const all = encoder.encode(text)
          const whole = await parseChunks([all])
          expect(whole).toEqual(expected)
          const pieces = cut(all, points)
          expect(concat(pieces)).toEqual(all)
          expect(await parseChunks(pieces)).toEqual(whole)
        }
      ),
      { numRuns: 300 }
    )
  })
})

// ---------------------------------------------------------------------------
// (2) Resuming from any delivered offset yields exactly the remaining bytes.

const appendedChunks = fc.array(fc.uint8Array({ minLength: 1, maxLength: 24 }), { maxLength: 8 })
/** Sizes drawn in turn (cycled) by the fake server. */
const sizes = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 })

function cycle(values: number[]): () => number {
  let i = 0
  return () => values[i++ % values.length]!
}

async function readAll(fake: FakeStream, offset: string, live: false | "sse"): Promise<StreamChunk[]> {
  const stream = new DurableStream({ url: fake.url, contentType: fake.contentType, retry: FAST_RETRY })
  const chunks: StreamChunk[] = []
  for await (const chunk of stream.read({ offset, live })) chunks.push(chunk)
  return chunks
}

function remainderFrom(fake: FakeStream, offset: string): Uint8Array {
  return fake.bytes.slice(offset === "-1" ? 0 : Number(offset))
}

describe("property: resume from any delivered offset", () => {
  it("catch-up: a new read from a delivered offset returns exactly the remaining bytes", async () => {
    await fc.assert(
      fc.asyncProperty(appendedChunks, sizes, sizes, fc.nat(), async (appends, first, second, pick) => {
        server.resetHandlers()
        const fake = new FakeStream(streamUrl("prop-catch-up"), { maxBytes: cycle(first) })
        for (const chunk of appends) fake.append(chunk)
        server.use(...fake.handlers())

        const chunks = await readAll(fake, "-1", false)
        expect(concat(chunks.map((c) => c.data))).toEqual(fake.bytes)
        expect(chunks.at(-1)!.upToDate).toBe(true)
        expect(chunks.at(-1)!.offset).toBe(offsetOf(fake.bytes.length))

        const offsets = ["-1", ...chunks.map((c) => c.offset)]
        const from = offsets[pick % offsets.length]!
        const resumed = new FakeStream(streamUrl("prop-catch-up-resume"), { maxBytes: cycle(second) })
        resumed.append(fake.bytes)
        server.use(...resumed.handlers())
        const rest = await readAll(resumed, from, false)
        expect(concat(rest.map((c) => c.data))).toEqual(remainderFrom(fake, from))
        expect(resumed.requests[0]!.url.searchParams.get("offset")).toBe(from)
      }),
      { numRuns: 60 }
    )
  })

  it("SSE: a new read from a delivered offset returns exactly the remaining bytes, across cut connections", async () => {
    const shape = fc.record({
      bytesPerControl: sizes,
      eventsPerControl: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }),
      base64LineLength: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
      // Byte positions where the first connections get cut (mid-event included).
      cuts: fc.array(fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }), { maxLength: 3 }),
    })
    type Shape = typeof shape extends fc.Arbitrary<infer T> ? T : never
    const fakeFor = (name: string, s: Shape): FakeStream =>
      new FakeStream(streamUrl(name), {
        contentType: "application/octet-stream",
        sse: {
          bytesPerControl: cycle(s.bytesPerControl),
          eventsPerControl: cycle(s.eventsPerControl),
          base64LineLength: s.base64LineLength,
          cutAfter: (connection) => s.cuts[connection] ?? undefined,
        },
      })

    await fc.assert(
      fc.asyncProperty(appendedChunks, shape, shape, fc.nat(), async (appends, firstShape, secondShape, pick) => {
        server.resetHandlers()
        const fake = fakeFor("prop-sse", firstShape)
        for (const chunk of appends) fake.append(chunk)
        fake.close()
        server.use(...fake.handlers())

        const chunks = await readAll(fake, "-1", "sse")
        expect(concat(chunks.map((c) => c.data))).toEqual(fake.bytes)
        expect(chunks.at(-1)!.closed).toBe(true)
        // Every connection after the first resumes from the last control offset seen.
        const delivered = new Set(["-1", ...chunks.map((c) => c.offset)])
        for (const request of fake.requestsOf("sse")) {
          expect(delivered.has(request.url.searchParams.get("offset")!)).toBe(true)
        }

        const offsets = ["-1", ...chunks.map((c) => c.offset)]
        const from = offsets[pick % offsets.length]!
        const resumed = fakeFor("prop-sse-resume", secondShape)
        resumed.append(fake.bytes)
        resumed.close()
        server.use(...resumed.handlers())
        const rest = await readAll(resumed, from, "sse")
        expect(concat(rest.map((c) => c.data))).toEqual(remainderFrom(fake, from))
      }),
      { numRuns: 60 }
    )
  })
})
