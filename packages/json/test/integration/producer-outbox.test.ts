/**
 * A durable outbox: a producer whose requests stop being answered mid-flush
 * is abandoned; a new producer with the same id and outbox resends what was
 * pending, and the stream holds every message exactly once, in order.
 */
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import {
  IdempotentProducer,
  JsonStream,
  createMemoryOutbox,
  webStorageOutbox,
  type DurableStreamError,
} from "../../src/index"
import { outboxKey } from "../../src/producer-outbox"
import { FAST_RETRY, expectExactSequence, indexesOf, waitFor, type Numbered } from "./support"

const ref = useReferenceServer()

/**
 * Forwards the first `answered` POSTs; after that a POST is forwarded (so it
 * may be stored) or not, alternately, and never answered: the connection
 * hangs until the producer is aborted.
 */
function stallingFetch(answered: number): { fetch: typeof fetch; stalled: () => number } {
  let posts = 0
  let stalled = 0
  const hang = (signal: AbortSignal | null | undefined) =>
    new Promise<Response>((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true }))
  return {
    stalled: () => stalled,
    fetch: async (input, init) => {
      if (init?.method !== "POST" || posts++ < answered) return fetch(input, init)
      stalled++
      if (stalled % 2 === 1) await fetch(input, init)
      return hang(init.signal)
    },
  }
}

async function freshStreamUrl(): Promise<string> {
  return (await JsonStream.create({ url: ref.streamUrl(), retry: FAST_RETRY })).url
}

describe("a producer with a durable outbox", () => {
  it("is abandoned mid-flush; a new producer with the same id and outbox resends, exactly once, in order", async () => {
    const url = await freshStreamUrl()
    const outbox = createMemoryOutbox()
    const cut = stallingFetch(3)
    const controller = new AbortController()
    const first = new IdempotentProducer(
      new JsonStream<Numbered>({ url, fetch: cut.fetch, retry: FAST_RETRY }),
      "writer",
      { outbox, maxBatchItems: 10, lingerMs: 1, retry: FAST_RETRY, signal: controller.signal }
    )
    const COUNT = 200
    for (let i = 0; i < 120; i++) void first.append({ i })
    await waitFor(() => cut.stalled() >= 4, "four requests left hanging")
    // The process "dies": nothing more from the first producer reaches the outbox.
    controller.abort()
    expect(outbox.keys()).toHaveLength(1)
    // Every request sent so far: three answered, the rest hanging (half of them stored), each one batch of ten.
    const sentByFirst = 10 * (3 + cut.stalled())

    const stream = new JsonStream<Numbered>({ url, retry: FAST_RETRY })
    const errors: Error[] = []
    const second = new IdempotentProducer(stream, "writer", {
      outbox,
      maxBatchItems: 10,
      lingerMs: 1,
      retry: FAST_RETRY,
      onError: (error) => errors.push(error),
    })
    // What the first producer never sent is the caller's to append again: from its last acknowledged message on.
    const unsentFrom = 120
    for (let i = unsentFrom; i < COUNT; i++) void second.append({ i })
    await second.flush()
    expect(errors).toEqual([])
    expect(outbox.keys()).toEqual([])

    const stored = indexesOf(await stream.read().json())
    // The first producer's messages it had sent (its outbox) and the second's, each once and in order.
    const firstSent = stored.filter((i) => i < unsentFrom)
    expect(firstSent).toHaveLength(sentByFirst)
    expectExactSequence(firstSent, firstSent.length, "the first producer's messages")
    expectExactSequence(stored.slice(firstSent.length).map((i) => i - unsentFrom), COUNT - unsentFrom, "the second's")
  })

  it("leaves nothing behind once everything is acknowledged, through a Web Storage adapter", async () => {
    const url = await freshStreamUrl()
    const items = new Map<string, string>()
    const storage = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
      key: (index: number) => [...items.keys()][index] ?? null,
      get length() {
        return items.size
      },
    }
    const stream = new JsonStream<Numbered>({ url, retry: FAST_RETRY })
    const producer = new IdempotentProducer(stream, "writer", { outbox: webStorageOutbox(storage), retry: FAST_RETRY })
    for (let i = 0; i < 50; i++) void producer.append({ i })
    await producer.flush()
    expect(items.size).toBe(0)
    expectExactSequence(indexesOf(await stream.read().json()), 50, "stored")
  })

  it.each([
    ["not JSON", "{oops"],
    ["another producer's", JSON.stringify({ format: "durable-client/producer-outbox@1", url: "x", producerId: "other", json: true, sent: [], pending: [] })],
  ])("refuses a %s entry with INVALID_ARGUMENT and sends nothing", async (_, entry) => {
    const url = await freshStreamUrl()
    const outbox = createMemoryOutbox()
    await outbox.set(outboxKey(url, "writer"), entry)
    const errors: Error[] = []
    const stream = new JsonStream<Numbered>({ url, retry: FAST_RETRY })
    const producer = new IdempotentProducer(stream, "writer", { outbox, retry: FAST_RETRY, onError: (error) => errors.push(error) })
    await expect(producer.append({ i: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" })
    expect((errors[0] as DurableStreamError | undefined)?.code).toBe("INVALID_ARGUMENT")
    // The entry is kept for a person to look at, never dropped.
    expect(await outbox.get(outboxKey(url, "writer"))).toBe(entry)
    expect(await stream.read().json()).toEqual([])
  })
})
