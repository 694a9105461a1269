import { countingFetch, raisedError, useReferenceServer, waitFor } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, ForkError, JsonStream, type MessagePosition } from "../../src/index"
import { FAST_RETRY } from "./support"

const ref = useReferenceServer()

async function jsonStream(): Promise<JsonStream<number>> {
  return JsonStream.create<number>({ url: ref.streamUrl(), retry: FAST_RETRY })
}

/** Every message read from `offset` to the tail, with its position. */
async function positioned(stream: JsonStream<number>, offset: string) {
  const all: Array<{ value: number; position: MessagePosition }> = []
  for await (const entry of stream.read({ offset, live: false }).entries()) all.push(entry)
  return all
}

describe("message positions", () => {
  it("name each message of a batch as its start offset plus its index, and key it", async () => {
    const source = await jsonStream()
    const first = (await source.appendMany([1, 2])).offset!
    await source.appendMany([3, 4, 5])
    const batches = []
    for await (const batch of source.read({ offset: first, live: false })) batches.push(batch)
    expect(batches.flatMap((batch) => batch.items)).toEqual([3, 4, 5])
    expect(batches[0]!.start).toBe(first)
    expect(batches[0]!.positions.map(({ offset, index }) => ({ offset, index }))).toEqual([
      { offset: first, index: 0 },
      { offset: first, index: 1 },
      { offset: first, index: 2 },
    ])
    // entries() hands out the same positions, one message at a time.
    const entries = await positioned(source, first)
    expect(entries.map((entry) => entry.value)).toEqual([3, 4, 5])
    expect(entries.map((entry) => entry.position.key)).toEqual(batches[0]!.positions.map((position) => position.key))
    expect(new Set(entries.map((entry) => entry.position.key)).size).toBe(3)
  })

  it("fork right before a message inside a JSON batch; the fork reads across the fork point", async () => {
    const source = await jsonStream()
    const first = (await source.appendMany([1, 2])).offset!
    await source.appendMany([10, 11, 12, 13])
    await source.appendMany([20])
    const message12 = (await positioned(source, first)).find((entry) => entry.value === 12)!.position

    const fork = await source.fork({ url: ref.streamUrl(), at: message12 })
    expect(await fork.read().json()).toEqual([1, 2, 10, 11])
    await fork.appendMany([99, 100])
    expect(await fork.read().json()).toEqual([1, 2, 10, 11, 99, 100])
    // From the position's offset the fork has the split part of the batch, then its own messages.
    expect(await fork.read({ offset: message12.offset }).json()).toEqual([10, 11, 99, 100])
    expect(await source.read().json()).toEqual([1, 2, 10, 11, 12, 13, 20])
    // The same fork again is recognised as the same (FK-05).
    const again = await source.fork({ url: fork.url, at: message12 })
    expect(await again.read().json()).toEqual([1, 2, 10, 11, 99, 100])
  })

  it("refuse a position past the first append of a catch-up batch with ForkError INVALID_FORK_POINT", async () => {
    const source = await jsonStream()
    const first = (await source.appendMany([1, 2])).offset!
    await source.appendMany([10, 11])
    await source.appendMany([20, 21])
    const entries = await positioned(source, first)
    // The reference server answers one catch-up with both appends: 21 is index 3 past `first`.
    const message21 = entries.find((entry) => entry.value === 21)!.position
    expect(message21).toMatchObject({ offset: first, index: 3 })
    const error = await raisedError<ForkError>(() => source.fork({ url: ref.streamUrl(), at: message21 }))
    expect(error).toBeInstanceOf(ForkError)
    expect(error.reason).toBe("INVALID_FORK_POINT")
    expect(error.message).toContain("one append that starts at the offset")
  })

  it("refuse a position of a read's first batch from -1 before any request", async () => {
    const source = await jsonStream()
    await source.appendMany([1, 2, 3])
    const [, second] = await positioned(source, "-1")
    expect(second!.position).toMatchObject({ offset: "-1", index: 1 })
    const counting = countingFetch()
    const error = await raisedError<ForkError>(() =>
      source.fork({ target: new DurableStream({ url: ref.streamUrl(), fetch: counting.fetch }), at: second!.position })
    )
    expect(error).toBeInstanceOf(ForkError)
    expect(error.reason).toBe("INVALID_FORK_POINT")
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(counting.calls).toBe(0)
  })

  it("a live reader's batches start at server offsets, so every position it hands out forks", async () => {
    const source = await jsonStream()
    await source.append(0)
    const session = source.read({ offset: "-1", live: "long-poll" })
    const seen: Array<{ value: number; position: MessagePosition }> = []
    const reading = (async () => {
      for await (const entry of session.entries()) {
        seen.push(entry)
        if (entry.value === 2) return
      }
    })()
    await waitFor(() => seen.length === 1, "the first message")
    await source.appendMany([1, 2])
    await reading
    const message2 = seen.find((entry) => entry.value === 2)!.position
    expect(message2.offset).not.toBe("-1")
    const fork = await source.fork({ url: ref.streamUrl(), at: message2 })
    expect(await fork.read().json()).toEqual([0, 1])
  })
})

describe("byte stream fork points", () => {
  it("fork at { offset, index } counts bytes into the append; reads cross the fork point", async () => {
    const source = await DurableStream.create({ url: ref.streamUrl(), contentType: "text/plain" })
    const first = (await source.append("hello ")).offset!
    await source.append("world")
    const fork = await source.fork({ url: ref.streamUrl(), at: { offset: first, index: 3 } })
    await fork.append("!")
    expect(await fork.read({ live: false }).text()).toBe("hello wor!")
    expect(await fork.read({ offset: first, live: false }).text()).toBe("wor!")
  })
})
