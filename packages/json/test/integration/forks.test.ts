import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { ForkError, IdempotentProducer, JsonStream } from "../../src/index"
import { FAST_RETRY } from "./support"

const ref = useReferenceServer()

async function jsonStream(): Promise<JsonStream<number>> {
  return JsonStream.create<number>({ url: ref.streamUrl(), retry: FAST_RETRY })
}

describe("JsonStream.fork", () => {
  it("forks at an offset and reads across the fork point, message boundaries intact", async () => {
    const source = await jsonStream()
    await source.appendMany([1, 2])
    const at = (await source.appendMany([3, 4])).offset!
    await source.appendMany([5])
    const fork = await source.fork({ url: ref.streamUrl(), offset: at })
    expect(fork).toBeInstanceOf(JsonStream)
    await fork.append(100)
    expect(await fork.read().json()).toEqual([1, 2, 3, 4, 100])
    expect(await fork.read({ offset: at }).json()).toEqual([100])
    expect(await source.read().json()).toEqual([1, 2, 3, 4, 5])
  })

  it("forks inside a batch with subOffset, counted in messages", async () => {
    const source = await jsonStream()
    const before = (await source.appendMany([1, 2])).offset!
    await source.appendMany([10, 11, 12, 13])
    const fork = await source.fork({ url: ref.streamUrl(), offset: before, subOffset: 2 })
    expect(await fork.read().json()).toEqual([1, 2, 10, 11])
    await fork.appendMany([20, 21])
    expect(await fork.read().json()).toEqual([1, 2, 10, 11, 20, 21])
    // A fork of a fork, inside the batch the sub-offset made.
    const grandchild = await fork.fork({ url: ref.streamUrl(), offset: before, subOffset: 1 })
    expect(await grandchild.read().json()).toEqual([1, 2, 10])
  })

  it("refuses a subOffset past the batch's messages with INVALID_FORK_POINT", async () => {
    const source = await jsonStream()
    const before = (await source.append(1)).offset!
    await source.appendMany([2, 3])
    const error = await source.fork({ url: ref.streamUrl(), offset: before, subOffset: 3 }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ForkError)
    expect((error as ForkError).reason).toBe("INVALID_FORK_POINT")
  })

  it("keeps the schema", async () => {
    const schema = {
      "~standard": {
        version: 1 as const,
        vendor: "test",
        validate: (value: unknown) => (typeof value === "number" ? { value: value * 2 } : { issues: [{ message: "not a number" }] }),
      },
    }
    const source = await JsonStream.create<number>({ url: ref.streamUrl(), schema })
    await source.append(1)
    const fork = await source.fork({ url: ref.streamUrl() })
    expect(fork.schema).toBe(schema)
    expect(await fork.read().json()).toEqual([2])
  })
})

describe("a producer on a fork", () => {
  it("starts its own epoch there: the source's producer state is not inherited (FK-07)", async () => {
    const source = await jsonStream()
    const writer = new IdempotentProducer(source, "writer", { epoch: 3, retry: FAST_RETRY })
    for (const n of [1, 2, 3]) void writer.append(n)
    await writer.flush()

    const fork = await source.fork({ url: ref.streamUrl() })
    // Epoch 0 would be fenced (403) on the source, where epoch 3 is established; the fork has no producer state.
    const onFork = new IdempotentProducer(fork, "writer", { epoch: 0, retry: FAST_RETRY })
    await onFork.append(4)
    await onFork.close()
    const stale = new IdempotentProducer(source, "writer", { epoch: 0, retry: FAST_RETRY, onError: () => undefined })
    await expect(stale.append(99)).rejects.toMatchObject({ code: "STALE_EPOCH" })

    // The source's producer goes on at its own seqs, untouched by the fork's.
    void writer.append(5)
    await writer.close()
    expect(await fork.read().json()).toEqual([1, 2, 3, 4])
    expect(await source.read().json()).toEqual([1, 2, 3, 5])
  })

  it("dedupes retries on the fork by the fork's own (id, epoch, seq)", async () => {
    const source = await jsonStream()
    const writer = new IdempotentProducer(source, "same-id", { retry: FAST_RETRY })
    void writer.append(1)
    await writer.flush()
    const fork = await source.fork({ url: ref.streamUrl() })
    // The same id, epoch and seq 0 as a batch the source holds: on the fork it is new data, not a duplicate.
    const onFork = new IdempotentProducer(fork, "same-id", { retry: FAST_RETRY })
    const result = await onFork.append(2)
    expect(result.duplicate).toBe(false)
    await onFork.close()
    await writer.close()
    expect(await fork.read().json()).toEqual([1, 2])
  })
})
