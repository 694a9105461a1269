/**
 * A server (or proxy) that refuses bodies over a limit with 413: a batch is
 * split and resent, each message is stored exactly once and in order, and a
 * message too large on its own fails alone with PAYLOAD_TOO_LARGE.
 */
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { IdempotentProducer, JsonStream, type ProducerAppendResult } from "../../src/index"
import { FAST_RETRY, expectExactSequence, indexesOf, type Numbered } from "./support"

const ref = useReferenceServer()

/** Answers 413 to any POST body over `limit` bytes; forwards everything else to the reference server. */
function limitedFetch(limit: number, refused: number[]): typeof fetch {
  return async (input, init) => {
    const body = init?.body
    if (init?.method === "POST" && body instanceof Uint8Array && body.length > limit) {
      refused.push(body.length)
      return new Response("payload too large", { status: 413 })
    }
    return fetch(input, init)
  }
}

async function limitedStream(limit: number, refused: number[]): Promise<JsonStream<Numbered & { pad?: string }>> {
  const created = await JsonStream.create({ url: ref.streamUrl(), retry: FAST_RETRY })
  return new JsonStream({ url: created.url, fetch: limitedFetch(limit, refused), retry: FAST_RETRY })
}

describe("a producer behind a 413 body limit", () => {
  it("splits refused batches, pipelined, and stores every message exactly once, in order", async () => {
    const refused: number[] = []
    const stream = await limitedStream(2_000, refused)
    const errors: Error[] = []
    const producer = new IdempotentProducer(stream, "writer", {
      maxBatchBytes: 16 * 1024,
      lingerMs: 1,
      retry: FAST_RETRY,
      onError: (error) => errors.push(error),
    })
    const COUNT = 3_000
    const results: Array<Promise<ProducerAppendResult>> = []
    for (let i = 0; i < COUNT; i++) results.push(producer.append({ i }))
    await producer.flush()
    await Promise.all(results)

    expect(refused.length).toBeGreaterThan(0)
    expect(errors).toEqual([])
    expect(producer.bufferedBytes).toBe(0)
    expectExactSequence(indexesOf(await stream.read().json()), COUNT, "stored")
  })

  it("fails only the message too large on its own; the others of its batch and later ones are stored", async () => {
    const refused: number[] = []
    const stream = await limitedStream(1_000, refused)
    const errors: Error[] = []
    const producer = new IdempotentProducer(stream, "writer", {
      lingerMs: 1,
      retry: FAST_RETRY,
      onError: (error) => errors.push(error),
    })
    const big = "x".repeat(5_000)
    const sent = Array.from({ length: 40 }, (_, i) => ({ i, pad: i === 7 || i === 23 ? big : "" }))
    const outcomes = await Promise.allSettled(sent.map((message) => producer.append(message)))
    await producer.flush()

    const failedAt = outcomes.flatMap((outcome, i) => (outcome.status === "rejected" ? [i] : []))
    expect(failedAt).toEqual([7, 23])
    for (const i of failedAt) {
      expect((outcomes[i] as PromiseRejectedResult).reason).toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: 413 })
    }
    expect(errors.map((error) => (error as { code?: string }).code)).toEqual(["PAYLOAD_TOO_LARGE", "PAYLOAD_TOO_LARGE"])
    expect(producer.error).toBeUndefined()

    // The producer goes on: more messages after the refusals are stored too.
    await producer.append({ i: 40 })
    await producer.close()
    const stored = indexesOf(await stream.read().json())
    expect(stored).toEqual([...Array.from({ length: 41 }, (_, i) => i)].filter((i) => i !== 7 && i !== 23))
  })
})
