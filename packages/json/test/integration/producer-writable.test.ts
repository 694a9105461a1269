import { startFaultProxy, type FaultPlan, type FaultProxy } from "@durable-client/testing"
import { useReferenceServer } from "@durable-client/testing/vitest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { IdempotentProducer, JsonStream } from "../../src/index"
import { producerWritable } from "../../src/writable"
import { FAST_RETRY, expectExactSequence, expectStreamError, jsonHandle, viaProxy } from "./support"

const ref = useReferenceServer()
let proxy: FaultProxy

/** Appends fail in every way the proxy knows; some are stored and their answer lost. */
const WRITE_PLAN: FaultPlan = {
  methods: ["POST"],
  dropDuringRequest: 0.06,
  dropBeforeResponse: 0.06,
  dropDuringResponse: 0.05,
  unavailable: 0.05,
  rateLimited: 0.05,
  retryAfterSeconds: 0,
  delay: 0.2,
  delayMs: { min: 1, max: 10 },
}

beforeAll(async () => {
  proxy = await startFaultProxy({ target: ref.url, plan: WRITE_PLAN, seed: 20_261_127 })
})
afterAll(async () => {
  await proxy?.stop()
})

interface Token {
  i: number
  token: string
}

const TOKENS = 10_000
const encoder = new TextEncoder()

/** Token i of the fake model's answer; some have multi-byte characters. */
function tokenText(i: number): string {
  return i % 7 === 0 ? ` héllo-${i} ✓` : ` tok${i}`
}

/**
 * An LLM-like response body: newline-delimited tokens as bytes, sent in
 * chunks that cut across tokens and inside multi-byte characters.
 */
function llmBody(): ReadableStream<Uint8Array<ArrayBuffer>> {
  const bytes = encoder.encode(Array.from({ length: TOKENS }, (_, i) => tokenText(i) + "\n").join(""))
  let at = 0
  let step = 0
  return new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      pull(controller) {
        if (at >= bytes.length) return controller.close()
        const size = 1 + ((step++ * 37) % 97)
        controller.enqueue(bytes.slice(at, at + size))
        at += size
      },
    },
    { highWaterMark: 0 }
  )
}

/** Text to one `{ i, token }` message per line. */
function tokenLines(): TransformStream<string, Token> {
  let rest = ""
  let i = 0
  return new TransformStream<string, Token>({
    transform(text, controller) {
      const lines = (rest + text).split("\n")
      rest = lines.pop() ?? ""
      for (const token of lines) controller.enqueue({ i: i++, token })
    },
    flush(controller) {
      if (rest !== "") controller.enqueue({ i: i++, token: rest })
    },
  })
}

describe("producerWritable", () => {
  it("pipes a 10 000-token body through a faulty network exactly once, in order, with backpressure", async () => {
    const direct = await JsonStream.create<Token>({ url: ref.streamUrl(), retry: FAST_RETRY })
    const maxBufferedBytes = 4096
    const producer = new IdempotentProducer<Token>(jsonHandle(viaProxy(proxy.url, direct.url)), "llm", {
      lingerMs: 1,
      maxBatchItems: 40,
      maxBufferedBytes,
      retry: FAST_RETRY,
    })
    const writable = producerWritable(producer, { closeStream: true })
    let maxBuffered = 0
    const writer = writable.getWriter()
    expect(writer.desiredSize).toBe(maxBufferedBytes)
    writer.releaseLock()

    // Watches the producer's buffer and the writable's queue as chunks pass.
    const watch = new TransformStream<Token, Token>({
      transform(token, controller) {
        maxBuffered = Math.max(maxBuffered, producer.bufferedBytes)
        controller.enqueue(token)
      },
    })
    await llmBody().pipeThrough(new TextDecoderStream()).pipeThrough(tokenLines()).pipeThrough(watch).pipeTo(writable)

    const stored = await direct.read().json()
    expectExactSequence(
      stored.map((m) => m.i),
      TOKENS,
      "stored tokens"
    )
    expect(stored.every((m) => m.token === tokenText(m.i))).toBe(true)
    expect((await direct.head()).closed).toBe(true)
    // The buffer filled up and the pipe waited instead of queueing without bound.
    expect(maxBuffered).toBeGreaterThan(maxBufferedBytes / 2)
    expect(maxBuffered).toBeLessThan(maxBufferedBytes + 200)
    expect(proxy.stats.dropBeforeResponse).toBeGreaterThan(0)
  })

  it("close() without closeStream detaches and leaves the stream open; abort() detaches", async () => {
    const stream = await JsonStream.create<number>({ url: ref.streamUrl(), retry: FAST_RETRY })
    const producer = new IdempotentProducer<number>(stream, "p")
    const writer = producerWritable(producer).getWriter()
    await writer.write(1)
    await writer.write(2)
    await writer.close()
    expect(await stream.read().json()).toEqual([1, 2])
    expect((await stream.head()).closed).toBe(false)
    await expectStreamError(producer.append(3), "STREAM_CLOSED")

    const second = new IdempotentProducer<number>(stream, "q")
    const aborted = producerWritable(second).getWriter()
    await aborted.write(3)
    await aborted.abort(new Error("user left"))
    expect(await stream.read().json()).toEqual([1, 2, 3])
    expect((await stream.head()).closed).toBe(false)
    await expectStreamError(second.append(4), "STREAM_CLOSED")
  })

  it("a chunk the stream cannot carry errors the writable with INVALID_ARGUMENT", async () => {
    const stream = await JsonStream.create({ url: ref.streamUrl() })
    const writer = producerWritable(new IdempotentProducer(stream, "p")).getWriter()
    await expectStreamError(writer.write(encoder.encode("bytes")), "INVALID_ARGUMENT")
    await expectStreamError(writer.closed, "INVALID_ARGUMENT")
  })

  it("refuses bad arguments before any request, naming the stream and the option", async () => {
    const stream = await JsonStream.create({ url: ref.streamUrl() })
    const producer = new IdempotentProducer(stream, "p")
    expect(() => producerWritable({} as never)).toThrow(/IdempotentProducer/)
    expect(() => producerWritable(producer, { closeStream: "yes" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringMatching(new RegExp(`${stream.url}.*closeStream`)) })
    )
    expect(() => producerWritable(producer, null as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }))
  })
})
