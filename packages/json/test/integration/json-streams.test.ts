import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, IdempotentProducer, JsonStream, type DurableStreamError } from "../../src/index"
import {
  ALL_MODES,
  FAST_RETRY,
  LIVE_MODES,
  expectExactSequence,
  expectStreamError,
  indexesOf,
  waitFor,
  type Numbered,
} from "./support"

const ref = useReferenceServer()

async function freshStream<T = unknown>(contentType = "application/json"): Promise<JsonStream<T>> {
  return JsonStream.create<T>({ url: ref.streamUrl(), contentType, retry: FAST_RETRY })
}

// Values whose JSON looks like a batch of several messages, or like nothing.
const TRICKY_VALUES: readonly unknown[] = [
  [1, 2, 3],
  [],
  [[]],
  [["nested"], { inner: [4, 5] }],
  { list: [1, 2] },
  "[1,2]",
  null,
  0,
  false,
  "",
]

describe("a JSON value that is an array", () => {
  it.each(ALL_MODES)("stays one message whoever appended it (read with live=%s)", async (live) => {
    const stream = await freshStream()
    for (const value of TRICKY_VALUES) await stream.append(value)
    await stream.appendMany(TRICKY_VALUES)
    const producer = new IdempotentProducer(stream, "writer", { retry: FAST_RETRY })
    for (const value of TRICKY_VALUES) void producer.append(value)
    await producer.close([["final"]])

    const session = stream.read({ live })
    const read = await session.json()
    expect(read).toEqual([...TRICKY_VALUES, ...TRICKY_VALUES, ...TRICKY_VALUES, [["final"]]])
    expect(session.closed).toBe(true)
  })
})

describe("a message larger than maxBatchBytes", () => {
  it.each(ALL_MODES)("is sent alone and read back whole, between small ones (live=%s)", async (live) => {
    const created = await freshStream<{ i: number; pad: string }>()
    // A handle that records how many messages each batch (by Producer-Seq)
    // carried. A batch can be sent twice: pipelined batches overtake each
    // other, and the later one is resent after a sequence-gap answer.
    const batchSizes = new Map<number, number>()
    const recording: typeof fetch = async (input, init) => {
      const seq = new Headers(init?.headers).get("producer-seq")
      if (init?.method === "POST" && init.body instanceof Uint8Array && seq !== null) {
        batchSizes.set(Number(seq), (JSON.parse(new TextDecoder().decode(init.body)) as unknown[]).length)
      }
      return fetch(input, init)
    }
    const stream = new JsonStream<{ i: number; pad: string }>({ url: created.url, fetch: recording, retry: FAST_RETRY })
    const producer = new IdempotentProducer(stream, "writer", { maxBatchBytes: 64 * 1024, retry: FAST_RETRY })
    const big = "x".repeat(300_000)
    const sent = [
      { i: 0, pad: "" },
      { i: 1, pad: big },
      { i: 2, pad: "small" },
      { i: 3, pad: "" },
      { i: 4, pad: big },
      { i: 5, pad: "" },
    ]
    for (const message of sent) void producer.append(message)
    await producer.close()
    // The small ones share batches; each big one goes on its own.
    expect([...batchSizes.entries()].sort(([a], [b]) => a - b)).toEqual([
      [0, 1],
      [1, 1],
      [2, 2],
      [3, 1],
      [4, 1],
    ])
    expect(await stream.read({ live }).json()).toEqual(sent)
  })
})

describe("an application/json; charset=utf-8 stream", () => {
  const CHARSET = "application/json; charset=utf-8"
  const TEXTS = ["plain", "é ü ß", "日本語", "emoji 🎉", "line\nbreak", "separators \u2028 \u2029 \u0085", "quote \" back\\slash"]

  it.each(ALL_MODES)("round-trips appends and producer writes (read with live=%s)", async (live) => {
    const created = await freshStream(CHARSET)
    const info = await created.head()
    expect(info.contentType).toBe(CHARSET)

    // A handle that learns the content type from the server.
    const stream = await JsonStream.connect<{ text: string; n: number }>({ url: created.url, retry: FAST_RETRY })
    for (const [n, text] of TEXTS.entries()) await stream.append({ text, n })
    const producer = new IdempotentProducer(stream, "writer", { retry: FAST_RETRY })
    for (const [n, text] of TEXTS.entries()) void producer.append({ text, n: n + TEXTS.length })
    await producer.close({ text: "the end", n: -1 })

    const session = stream.read({ live })
    const expected = [
      ...TEXTS.map((text, n) => ({ text, n })),
      ...TEXTS.map((text, n) => ({ text, n: n + TEXTS.length })),
      { text: "the end", n: -1 },
    ]
    expect(await session.json()).toEqual(expected)
    expect(session.closed).toBe(true)
  })

  it("is told apart from a text/plain; charset=utf-8 stream, which a JSON handle refuses", async () => {
    const bytesUrl = ref.streamUrl()
    await DurableStream.create({ url: bytesUrl, contentType: "text/plain; charset=utf-8" })
    await expectStreamError(JsonStream.connect({ url: bytesUrl }), "CONFLICT")
  })
})

describe("closing with a producer", () => {
  it("close(final) closes the stream with the final message last, after everything appended before", async () => {
    const stream = await freshStream<Numbered>()
    const producer = new IdempotentProducer<Numbered>(stream, "writer", { maxBatchItems: 10, retry: FAST_RETRY })
    for (let i = 0; i < 100; i++) void producer.append({ i })
    const result = await producer.close({ p: "final", i: 100 })
    expect(result.offset).toEqual(expect.any(String))

    const info = await stream.head()
    expect(info.closed).toBe(true)
    expect(info.offset).toBe(result.offset)

    const all = await stream.read().json()
    expect(all.at(-1)).toEqual({ p: "final", i: 100 })
    expectExactSequence(indexesOf(all.slice(0, -1)), 100, "messages before the final one")

    // Closed for everyone: this producer, another producer, a plain append.
    await expectStreamError(producer.append({ i: 101 }), "STREAM_CLOSED")
    const other = new IdempotentProducer<Numbered>(stream, "other", { retry: FAST_RETRY })
    await expectStreamError(other.append({ i: 102 }), "STREAM_CLOSED")
    await expectStreamError(stream.append({ i: 103 }), "STREAM_CLOSED")
    expect(await stream.read().json()).toHaveLength(101)
  })

  it("close() without a final message closes after the pending messages; a second producer's close-only is refused", async () => {
    const stream = await freshStream<Numbered>()
    const producer = new IdempotentProducer<Numbered>(stream, "writer", { retry: FAST_RETRY })
    for (let i = 0; i < 10; i++) void producer.append({ i })
    await producer.close()
    expect((await stream.head()).closed).toBe(true)
    // Only a repeat of the closing request is a duplicate (PROTOCOL §5.2.1);
    // another producer's close-only meets 409 Stream-Closed.
    await expectStreamError(new IdempotentProducer<Numbered>(stream, "late", { retry: FAST_RETRY }).close(), "STREAM_CLOSED")
    // The producer that closed it may close again: the same promise.
    await producer.close()
    expectExactSequence(indexesOf(await stream.read().json()), 10, "messages before close")
  })
})

describe("reading a closed JSON stream", () => {
  it.each(ALL_MODES)("ends with closed=true in live=%s mode, also from the tail offset", async (live) => {
    const stream = await freshStream<Numbered>()
    await stream.appendMany([{ i: 0 }, { i: 1 }])
    const closed = await stream.close({ final: { i: 2 } })

    const session = stream.read({ live })
    expectExactSequence(indexesOf(await session.json()), 3, "closed stream")
    expect(session.closed).toBe(true)
    expect(session.upToDate).toBe(true)
    expect(session.offset).toBe(closed.offset)

    // Resuming at the very end: nothing more, and it still says closed.
    const atEnd = stream.read({ live, offset: session.offset })
    expect(await atEnd.json()).toEqual([])
    expect(atEnd.closed).toBe(true)
  })

  it.each(LIVE_MODES)("ends a live=%s tail when a producer closes the stream while it is tailing", async (live) => {
    const stream = await freshStream<Numbered>()
    const session = stream.read({ live })
    const reading = session.json()
    await waitFor(() => session.upToDate, "the reader to catch up")

    const producer = new IdempotentProducer<Numbered>(stream, "writer", { retry: FAST_RETRY })
    for (let i = 0; i < 20; i++) void producer.append({ i })
    await producer.flush()
    await producer.close({ p: "final", i: 20 })

    const all = await reading
    expect(all.at(-1)).toEqual({ p: "final", i: 20 })
    expectExactSequence(indexesOf(all.slice(0, -1)), 20, "tail before the close")
    expect(session.closed).toBe(true)
  })
})

describe("a truncated response body", () => {
  // The server cuts the body to 5 bytes but sends it as complete, so only
  // parsing can notice: `[{"i"` is never a valid batch.
  const TRUNCATE = { truncateBodyBytes: 5, count: 1, method: "GET" } as const

  it("in catch-up never yields a partial message, and the read resumes from session.offset exactly once", async () => {
    const stream = await freshStream<Numbered>()
    await stream.appendMany([{ i: 0 }, { i: 1 }, { i: 2 }])
    const first = stream.read()
    const got = await first.json()
    expectExactSequence(indexesOf(got), 3, "before the fault")

    await stream.appendMany([{ i: 3 }, { i: 4 }, { i: 5 }])
    ref.injectFault(stream.url, TRUNCATE)
    const faulty = stream.read({ offset: first.offset })
    try {
      // A client that retries the cut response instead must still get it right.
      got.push(...(await faulty.json()))
    } catch (error) {
      expect((error as DurableStreamError).code).toBe("PARSE_ERROR")
      expect((error as DurableStreamError).offset).toBe(first.offset)
      // Nothing from the cut response was committed.
      expect(faulty.offset).toBe(first.offset)
    }

    const resumed = stream.read({ offset: faulty.offset })
    got.push(...(await resumed.json()))
    expectExactSequence(indexesOf(got), 6, "catch-up across a truncated response")
  })

  it("in a long-poll tail never yields a partial message, and the read resumes from session.offset exactly once", async () => {
    const stream = await freshStream<Numbered>()
    await stream.appendMany([{ i: 0 }, { i: 1 }, { i: 2 }])
    const session = stream.read({ live: "long-poll" })
    const got: Numbered[] = []
    let failure: DurableStreamError | undefined
    // Reads are pulled: the next request goes out only when the loop asks
    // for more, so the fault hits the response that carries 3..5.
    try {
      for await (const message of session.messages()) {
        got.push(message)
        if (message.i === 2) {
          await stream.appendMany([{ i: 3 }, { i: 4 }, { i: 5 }])
          ref.injectFault(stream.url, TRUNCATE)
        }
        // Only reached by a client that retried the cut response.
        if (message.i === 5) await stream.close({ final: { i: 6 } })
      }
    } catch (error) {
      failure = error as DurableStreamError
    }
    if (failure !== undefined) {
      expect(failure.code).toBe("PARSE_ERROR")
      expect(failure.offset).toBe(session.offset)
      expectExactSequence(indexesOf(got), 3, "long-poll before the truncated response")

      const resumed = stream.read({ offset: session.offset, live: "long-poll" })
      const rest = resumed.messages()
      await stream.close({ final: { i: 6 } })
      for await (const message of rest) got.push(message)
      expect(resumed.closed).toBe(true)
    }
    expectExactSequence(indexesOf(got), 7, "long-poll across a truncated response")
  })
})
