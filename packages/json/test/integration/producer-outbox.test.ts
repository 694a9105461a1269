/**
 * A durable outbox: a producer whose requests stop being answered mid-flush
 * is abandoned; a new producer with the same id and outbox resends what was
 * pending, and the stream holds every message exactly once, in order.
 */
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import {
  DurableStream,
  IdempotentProducer,
  JsonStream,
  type DurableStreamError,
} from "../../src/index"
import { createMemoryOutbox, keyValueOutbox, webStorageOutbox } from "../../src/outbox"
import { outboxKey } from "../../src/outbox-entry"
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

/** A network that takes no POST: each one hangs until the producer gives up on it (what an offline page sees). */
function offlineFetch(): typeof fetch {
  return async (input, init) => {
    if (init?.method !== "POST") return fetch(input, init)
    const signal = init.signal
    return new Promise<Response>((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason), { once: true }))
  }
}

/** A memory outbox that counts what is written to it. */
function countingOutbox(): ReturnType<typeof createMemoryOutbox> & { writes: number; bytes: number } {
  const inner = createMemoryOutbox()
  const counted = {
    ...inner,
    writes: 0,
    bytes: 0,
    set: (key: string, value: string) => {
      counted.writes++
      counted.bytes += value.length
      return inner.set(key, value)
    },
  }
  return counted
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
    expect(outbox.keys()).not.toHaveLength(0)

    const stream = new JsonStream<Numbered>({ url, retry: FAST_RETRY })
    const errors: Error[] = []
    const second = new IdempotentProducer(stream, "writer", {
      outbox,
      maxBatchItems: 10,
      lingerMs: 1,
      retry: FAST_RETRY,
      onError: (error) => errors.push(error),
    })
    // Everything the first producer accepted, sent or not, is in the outbox: the second goes on after it.
    for (let i = 120; i < COUNT; i++) void second.append({ i })
    await second.flush()
    expect(errors).toEqual([])
    expect(outbox.keys()).toEqual([outboxKey(url, "writer")])
    expectExactSequence(indexesOf(await stream.read().json()), COUNT, "stored")
  })

  it.each([["JSON"], ["byte"]])(
    "keeps what a %s stream's producer accepted while offline; a new producer sends it once the network is back",
    async (kind) => {
      const json = kind === "JSON"
      const contentType = json ? "application/json" : "application/octet-stream"
      const url = (await DurableStream.create({ url: ref.streamUrl(), contentType, retry: FAST_RETRY })).url
      const handle = (fetch?: typeof globalThis.fetch) =>
        json ? new JsonStream<Numbered>({ url, fetch, retry: FAST_RETRY }) : new DurableStream({ url, contentType, fetch, retry: FAST_RETRY })
      const message = (i: number) => (json ? { i } : `${i};`)
      const outbox = createMemoryOutbox()
      const reload = new AbortController()
      const offline = new IdempotentProducer(handle(offlineFetch()), "writer", {
        outbox,
        maxBatchItems: 7,
        retry: FAST_RETRY,
        signal: reload.signal,
      })
      // Lingering in the open batch, queued behind the in-flight window, and on the wire: all accepted.
      for (let i = 0; i < 300; i++) void offline.append(message(i))
      await offline.waitForOutbox()
      // The page is reloaded: nothing more from this producer reaches the outbox.
      reload.abort()

      const online = new IdempotentProducer(handle(), "writer", { outbox, retry: FAST_RETRY })
      for (let i = 300; i < 320; i++) void online.append(message(i))
      await online.flush()
      expect(outbox.keys()).toEqual([outboxKey(url, "writer")])
      const reader = new DurableStream({ url, retry: FAST_RETRY })
      const stored = json
        ? indexesOf(JSON.parse(await reader.read().text()) as Numbered[])
        : (await reader.read().text()).split(";").filter(Boolean).map(Number)
      expectExactSequence(stored, 320, "stored")
    }
  )

  it("writes each message about once, however the appends trickle in (no rewrite of everything pending)", async () => {
    const trickle = async (count: number): Promise<{ bytes: number; writes: number }> => {
      const url = await freshStreamUrl()
      const outbox = countingOutbox()
      const producer = new IdempotentProducer(new JsonStream<Numbered>({ url, fetch: offlineFetch(), retry: FAST_RETRY }), "writer", {
        outbox,
        retry: FAST_RETRY,
      })
      for (let i = 0; i < count; i++) {
        void producer.append({ i })
        // One write per append: the worst case for an outbox that rewrites all it holds.
        await producer.waitForOutbox()
      }
      return { bytes: outbox.bytes, writes: outbox.writes }
    }
    const [small, large] = [await trickle(500), await trickle(1000)]
    // Twice the messages, about twice the bytes written (rewriting everything pending would be four times).
    expect(large.bytes / small.bytes).toBeLessThan(2.5)
    expect(large.writes).toBeLessThanOrEqual(2 * 1000 + 1000 / 64 + 1)
  })

  it("a crash at any storage write leaves an outbox a new producer restores: what it holds goes once, in order, no gap", async () => {
    for (let cut = 1; cut <= 40; cut++) {
      const url = await freshStreamUrl()
      const store = createMemoryOutbox()
      // The process dies during the cut-th storage write: that write and every later one never happen.
      let ops = 0
      let died!: () => void
      const death = new Promise<void>((resolve) => (died = resolve))
      const dying = {
        ...store,
        set: (key: string, value: string) => (++ops >= cut ? (died(), death.then(() => new Promise<void>(() => undefined))) : store.set(key, value)),
        delete: (key: string) => (++ops >= cut ? (died(), death.then(() => new Promise<void>(() => undefined))) : store.delete(key)),
      }
      const controller = new AbortController()
      const first = new IdempotentProducer(new JsonStream<Numbered>({ url, retry: FAST_RETRY }), "writer", {
        outbox: dying,
        maxBatchItems: 5,
        retry: FAST_RETRY,
        signal: controller.signal,
      })
      let dead = false
      void death.then(() => (dead = true))
      for (let burst = 0; burst < 10 && !dead; burst++) {
        for (let i = burst * 20; i < burst * 20 + 20; i++) void first.append({ i })
        await Promise.race([first.flush().catch(() => undefined), death])
      }
      controller.abort()

      const stream = new JsonStream<Numbered>({ url, retry: FAST_RETRY })
      const second = new IdempotentProducer(stream, "writer", { outbox: store, maxBatchItems: 5, retry: FAST_RETRY })
      for (let i = 1000; i < 1010; i++) void second.append({ i })
      await second.flush()
      expect(store.keys(), `cut at write ${cut}`).toEqual([outboxKey(url, "writer")])
      const stored = indexesOf(await stream.read().json())
      const fromFirst = stored.filter((i) => i < 1000)
      expectExactSequence(fromFirst, fromFirst.length, `the first producer's, cut at write ${cut}`)
      expectExactSequence(stored.slice(fromFirst.length).map((i) => i - 1000), 10, `the second's, cut at write ${cut}`)
    }
  })

  it("takes a plain key-value store through keyValueOutbox(), and refuses one passed bare with INVALID_ARGUMENT", async () => {
    const url = await freshStreamUrl()
    const entries = new Map<string, string>()
    const store = { get: (key: string) => entries.get(key), set: (key: string, value: string) => void entries.set(key, value), delete: (key: string) => void entries.delete(key) }
    expect(() => new IdempotentProducer(new JsonStream<Numbered>({ url }), "writer", { outbox: store as never })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT", message: expect.stringContaining("keyValueOutbox") })
    )
    expect(() => keyValueOutbox({ get: () => undefined } as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }))
    const stream = new JsonStream<Numbered>({ url, retry: FAST_RETRY })
    const producer = new IdempotentProducer(stream, "writer", { outbox: keyValueOutbox(store), retry: FAST_RETRY })
    for (let i = 0; i < 30; i++) void producer.append({ i })
    await producer.flush()
    expect([...entries.keys()]).toEqual([outboxKey(url, "writer")])
    expectExactSequence(indexesOf(await stream.read().json()), 30, "stored")
  })

  it("waitForOutbox() without an outbox is an INVALID_ARGUMENT naming the option", async () => {
    const url = await freshStreamUrl()
    const producer = new IdempotentProducer(new JsonStream<Numbered>({ url }), "writer")
    await expect(producer.waitForOutbox()).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining("outbox") })
  })

  it("keeps only its small head once everything is acknowledged, through a Web Storage adapter", async () => {
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
    // Only the head, with the epoch and next seq a later instance goes on from.
    expect([...items.keys()]).toEqual([`durable-client:${outboxKey(url, "writer")}`])
    expectExactSequence(indexesOf(await stream.read().json()), 50, "stored")
  })

  const head = (url: string, fields: Record<string, unknown> = {}): string =>
    JSON.stringify({
      format: "durable-client/producer-outbox@2",
      url,
      producerId: "writer",
      json: true,
      low: 0,
      end: 2,
      settled: [],
      sent: [],
      dropFrom: 0,
      epoch: 0,
      nextSeq: 0,
      ...fields,
    })
  const segment = (messages: unknown): string =>
    JSON.stringify({ format: "durable-client/producer-outbox-segment@2", segment: 0, messages })

  it.each<[string, (url: string) => Record<string, string>]>([
    ["a head that is not JSON", (url) => ({ [outboxKey(url, "writer")]: "{oops" })],
    ["another producer's head", (url) => ({ [outboxKey(url, "writer")]: head(url, { producerId: "other" }) })],
    ["another stream's head", (url) => ({ [outboxKey(url, "writer")]: head(`${url}-other`) })],
    ["a byte stream's head", (url) => ({ [outboxKey(url, "writer")]: head(url, { json: false }) })],
    ["a head of an unknown format", (url) => ({ [outboxKey(url, "writer")]: head(url, { format: "durable-client/producer-outbox@1" }) })],
    ["a head whose sent batch is past its next seq", (url) => ({ [outboxKey(url, "writer")]: head(url, { sent: [[0, 0, 0, 2]] }) })],
    ["a head whose ranges overlap", (url) => ({ [outboxKey(url, "writer")]: head(url, { settled: [[0, 2]], sent: [[0, 0, 1, 2]] }) })],
    ["a missing segment", (url) => ({ [outboxKey(url, "writer")]: head(url) })],
    ["a segment that is not JSON", (url) => ({ [outboxKey(url, "writer")]: head(url), [`${outboxKey(url, "writer")}#0`]: "[1," })],
    ["a segment short of a message", (url) => ({ [outboxKey(url, "writer")]: head(url), [`${outboxKey(url, "writer")}#0`]: segment(["1"]) })],
    ["a message that is not JSON text", (url) => ({ [outboxKey(url, "writer")]: head(url), [`${outboxKey(url, "writer")}#0`]: segment(["1", "{x"]) })],
  ])("refuses %s with INVALID_ARGUMENT, sends nothing and keeps the entry", async (_, entries) => {
    const url = await freshStreamUrl()
    const outbox = createMemoryOutbox()
    const stored = entries(url)
    for (const [key, value] of Object.entries(stored)) await outbox.set(key, value)
    const errors: Error[] = []
    const stream = new JsonStream<Numbered>({ url, retry: FAST_RETRY })
    const producer = new IdempotentProducer(stream, "writer", { outbox, retry: FAST_RETRY, onError: (error) => errors.push(error) })
    await expect(producer.append({ i: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT", message: expect.stringContaining("outbox") })
    expect((errors[0] as DurableStreamError | undefined)?.code).toBe("INVALID_ARGUMENT")
    await expect(producer.waitForOutbox()).rejects.toMatchObject({ code: "INVALID_ARGUMENT" })
    // The entries are kept for a person to look at, never dropped nor overwritten.
    for (const [key, value] of Object.entries(stored)) expect(await outbox.get(key)).toBe(value)
    expect(outbox.keys()).toHaveLength(Object.keys(stored).length)
    expect(await stream.read().json()).toEqual([])
  })
})
