import { afterEach, describe, expect, it, vi } from "vitest"
import type { FaultAction } from "./support/fake-producer-server"
import { failure, gate, settleTurns, useMswServer } from "./support/msw"
import { jsonProducer } from "./support/producer-setup"

const server = useMswServer()

describe("retryable failures (5xx, 429, network errors)", () => {
  it.each<[string, FaultAction]>([
    ["503", { status: 503 }],
    ["500", { status: 500 }],
    ["429", { status: 429 }],
    ["a network error", { networkError: true }],
  ])("after %s, resends with the identical epoch, seq and body bytes", async (_name, fault) => {
    const { fake, producer } = jsonProducer(server, { maxBatchItems: 3 })
    // Second batch (seq 1) fails twice, then gets through.
    fake.fault((r) => (r.seq === "1" && r.attempt < 2 ? fault : undefined))
    const values = [{ a: 1 }, { b: "two" }, [3], "é", null]
    const results = values.map((v) => producer.append(v))
    await producer.flush()
    await Promise.all(results)

    const seq1 = fake.requests.filter((r) => r.seq === "1")
    expect(seq1).toHaveLength(3)
    for (const attempt of seq1) {
      expect(attempt.producerId).toBe("writer")
      expect(attempt.epoch).toBe("0")
      expect(attempt.contentType).toBe("application/json")
      expect(attempt.body).toEqual(seq1[0]!.body)
    }
    expect(seq1.map((r) => r.outcome)).toEqual([
      "status" in fault ? fault.status : "network-error",
      "status" in fault ? fault.status : "network-error",
      200,
    ])
    expect(fake.messages).toEqual(values)
    expect(producer.error).toBeUndefined()
  })

  it("when retries run out, the append and flush reject and onError hears about it", async () => {
    const onError = vi.fn()
    const { fake, producer, url } = jsonProducer(server, { onError, retry: { maxRetries: 2 } })
    fake.fault(() => ({ status: 503 }))
    const appended = producer.append("doomed")
    const error = await failure(appended)
    expect(error.status).toBe(503)
    expect(error.url).toBe(url)
    expect(error.message).toContain(url)
    const flushError = await failure(producer.flush())
    expect(flushError).toBe(error)
    expect(onError).toHaveBeenCalledTimes(1)
    expect(onError.mock.calls[0]![0]).toBe(error)
    expect(fake.requests).toHaveLength(3)
    expect(fake.messages).toEqual([])
  })

  it("a response lost after the server stored the batch: the retry gets 204 and the message is counted once", async () => {
    const onError = vi.fn()
    const { fake, producer } = jsonProducer(server, { onError, maxBatchItems: 2 })
    fake.fault((r) => (r.seq === "0" && r.attempt === 0 ? { storeThenNetworkError: true } : undefined))
    const results = ["a", "b", "c"].map((v) => producer.append(v))
    await producer.flush()
    const settled = await Promise.all(results)
    expect(fake.requests.map((r) => [r.seq, r.outcome])).toEqual([
      ["0", "network-error"],
      ["0", 204],
      ["1", 200],
    ])
    expect(settled.map((r) => r.duplicate)).toEqual([true, true, false])
    expect(fake.messages).toEqual(["a", "b", "c"])
    expect(onError).not.toHaveBeenCalled()
  })
})

describe("flush()", () => {
  it("resolves at once when nothing is pending", async () => {
    const { fake, producer } = jsonProducer(server)
    await producer.flush()
    expect(fake.requests).toHaveLength(0)
  })

  it("resolves only after every batch is acknowledged", async () => {
    const { fake, producer } = jsonProducer(server, { maxBatchItems: 1 })
    const hold = gate()
    fake.fault((r) => (r.seq === "2" ? { waitFor: hold.promise } : undefined))
    const results = ["a", "b", "c", "d"].map((v) => producer.append(v))
    let flushed = false
    const flushing = producer.flush().then(() => {
      flushed = true
    })
    await fake.arrival((r) => r.seq === "2")
    // Everything but the held batch can settle now; flush must still wait for it.
    await settleTurns(10)
    expect(flushed).toBe(false)
    hold.open()
    await flushing
    await Promise.all(results)
    expect(fake.messages).toEqual(["a", "b", "c", "d"])
  })

  it("REJECTS when one batch failed (a 503'd batch is never silently dropped)", async () => {
    const onError = vi.fn()
    const { fake, producer } = jsonProducer(server, { onError, maxBatchItems: 1, retry: { maxRetries: 1 } })
    fake.fault((r) => (r.seq === "1" ? { status: 503 } : undefined))
    // Fire and forget: only flush() is awaited.
    for (const v of ["a", "b", "c", "d"]) void producer.append(v)
    const error = await failure(producer.flush())
    expect(error.status).toBe(503)
    expect(onError).toHaveBeenCalledTimes(1)
    // Nothing after the failed batch was stored either: no hole in the stream.
    expect(fake.messages).toEqual(["a"])
    // And the producer stays failed rather than carrying on past the hole.
    expect((await failure(producer.append("e"))).status).toBe(503)
    expect(producer.bufferedBytes).toBe(0)
  })

  it("rejects each message of and after the failed batch, while earlier ones resolve", async () => {
    const { fake, producer } = jsonProducer(server, { maxBatchItems: 1, retry: { maxRetries: 0 } })
    fake.fault((r) => (r.seq === "1" ? { status: 503 } : undefined))
    const outcomes = await Promise.allSettled(["a", "b", "c"].map((v) => producer.append(v)))
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected"])
  })
})

describe("unhandled rejections", () => {
  const listeners: Array<(reason: unknown) => void> = []
  afterEach(() => {
    for (const listener of listeners.splice(0)) process.off("unhandledRejection", listener)
  })

  it("ignoring the promises of failed appends (and close) raises no unhandled rejection", async () => {
    const unhandled = vi.fn()
    listeners.push(unhandled)
    process.on("unhandledRejection", unhandled)

    const reported = gate()
    const onError = vi.fn(() => reported.open())
    const { fake, producer } = jsonProducer(server, { onError, retry: { maxRetries: 0 } })
    fake.fault(() => ({ status: 500 }))
    void producer.append("ignored 1")
    void producer.append("ignored 2")
    await reported.promise
    // Appending to a failed producer, and closing it, without looking at the result.
    void producer.append("ignored 3")
    void producer.close()
    // Give Node a few turns to report unhandled rejections (it does so after each turn's promise jobs).
    await settleTurns(10)
    expect(unhandled).not.toHaveBeenCalled()
    expect(onError).toHaveBeenCalledTimes(1)
  })
})
