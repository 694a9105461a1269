import { describe, expect, it, vi } from "vitest"
import { failure, useMswServer } from "./support/msw"
import { jsonProducer } from "./support/producer-setup"

const server = useMswServer()

describe("200: accepted", () => {
  it("resolves with the new tail and duplicate: false", async () => {
    const { fake, producer } = jsonProducer(server)
    const result = await producer.append({ id: 1 })
    expect(result).toEqual({ offset: "00000001", duplicate: false })
    expect(fake.requests.map((r) => r.outcome)).toEqual([200])
  })
})

describe("204: duplicate", () => {
  it("counts as success with duplicate: true and is not resent", async () => {
    const onError = vi.fn()
    const { fake, producer } = jsonProducer(server, { onError })
    // The first attempt is stored but its answer is lost; the resend is the duplicate.
    fake.fault((r) => (r.attempt === 0 ? { storeThenNetworkError: true } : undefined))
    const result = await producer.append("again")
    expect(result.duplicate).toBe(true)
    await producer.flush()
    expect(fake.requests).toHaveLength(2)
    expect(fake.requests[1]!.outcome).toBe(204)
    expect(fake.messages).toEqual(["again"])
    expect(onError).not.toHaveBeenCalled()
    expect(producer.error).toBeUndefined()
  })

  it("a duplicate of seqs this instance never sent means the epoch was used before: STALE_EPOCH, not silent loss", async () => {
    const onError = vi.fn()
    const { fake, producer } = jsonProducer(server, { onError })
    // An earlier life of this producer id wrote seq 0..2 in epoch 0; this one starts at epoch 0 too.
    fake.seedProducer("writer", 0, 2)
    await expect(producer.append("lost?")).rejects.toMatchObject({ code: "STALE_EPOCH" })
    await expect(producer.flush()).rejects.toMatchObject({ code: "STALE_EPOCH" })
    expect(fake.messages).toEqual([])
    expect(onError).toHaveBeenCalledTimes(1)
  })

  it("a 204 to a batch's first attempt is another instance's seq even when the server is not ahead: STALE_EPOCH with the epoch", async () => {
    const { fake, producer, url } = jsonProducer(server)
    // The earlier life wrote exactly seq 0: the server's seq is not beyond what this instance sent.
    fake.seedProducer("writer", 0, 0)
    const error = await failure(producer.append("lost?"))
    expect(error.code).toBe("STALE_EPOCH")
    expect(error.currentEpoch).toBe(0)
    expect(error.message).toContain(url)
    expect(fake.requests.map((r) => [r.seq, r.outcome])).toEqual([["0", 204]])
    expect(fake.messages).toEqual([])
  })

  it("a 204 after a 429 is not taken for a resend of ours: a 429 stores nothing", async () => {
    const { fake, producer } = jsonProducer(server)
    fake.seedProducer("writer", 0, 0)
    fake.fault((r) => (r.attempt === 0 ? { status: 429, headers: { "Retry-After": "0" } } : undefined))
    expect((await failure(producer.append("lost?"))).code).toBe("STALE_EPOCH")
    expect(fake.requests.map((r) => r.outcome)).toEqual([429, 204])
  })

  it("with autoClaim, a 204 to a first attempt moves to a fresh epoch and the message is stored once", async () => {
    const { fake, producer } = jsonProducer(server, { autoClaim: true })
    fake.seedProducer("writer", 0, 0)
    const result = await producer.append("mine")
    expect(result.duplicate).toBe(false)
    expect(producer.epoch).toBe(1)
    expect(fake.tuples()).toEqual([
      [0, 0],
      [1, 0],
    ])
    expect(fake.messages).toEqual(["mine"])
  })
})

describe("409 with Producer-Expected-Seq: sequence gap", () => {
  it("under pipelining, resends the overtaking batches after the earlier one; all land once, in order", async () => {
    const { fake, producer } = jsonProducer(server, { maxBatchItems: 1, maxInFlight: 4 })
    // Seq 1's first attempt is held until seq 2 has overtaken it and drawn its 409.
    const overtaken = fake.answered((r) => r.seq === "2").then(() => undefined)
    fake.fault((r) => (r.seq === "1" && r.attempt === 0 ? { waitFor: overtaken } : undefined))
    const values = ["m0", "m1", "m2", "m3", "m4", "m5"]
    const results = values.map((v) => producer.append(v))
    await producer.flush()
    const settled = await Promise.all(results)

    const gaps = fake.requests.filter((r) => r.outcome === 409)
    expect(gaps.length).toBeGreaterThan(0)
    expect(gaps.map((r) => r.seq)).toContain("2")
    // Every seq was stored exactly once and the stream holds each message once, in order.
    expect(fake.messages).toEqual(values)
    const accepted = fake.requests.filter((r) => r.outcome === 200).map((r) => r.seq)
    expect(accepted).toEqual(["0", "1", "2", "3", "4", "5"])
    // A resend after a gap is the same tuple with the same bytes.
    for (const gap of gaps) {
      const resend = fake.requests.find((r) => r.index > gap.index && r.seq === gap.seq && r.outcome === 200)
      expect(resend?.text).toBe(gap.text)
      expect(resend?.epoch).toBe(gap.epoch)
    }
    expect(settled.every((r) => !r.duplicate)).toBe(true)
    expect(producer.error).toBeUndefined()
  })

  it("a gap that never heals fails loudly with SEQUENCE_CONFLICT instead of dropping data", async () => {
    const onError = vi.fn()
    const { fake, producer } = jsonProducer(server, { maxBatchItems: 1, onError })
    fake.fault((r) =>
      r.seq === "1"
        ? { status: 409, headers: { "Producer-Expected-Seq": "7", "Producer-Received-Seq": "1" } }
        : undefined
    )
    const first = producer.append("a")
    const second = producer.append("b")
    expect(await first).toMatchObject({ duplicate: false })
    const conflict = await failure(second)
    expect(conflict.code).toBe("SEQUENCE_CONFLICT")
    expect([conflict.expectedSeq, conflict.receivedSeq]).toEqual([7, 1])
    expect((await failure(producer.flush())).code).toBe("SEQUENCE_CONFLICT")
    expect(onError).toHaveBeenCalledTimes(1)
    // Resent a bounded number of times, then given up.
    const attempts = fake.requests.filter((r) => r.seq === "1").length
    expect(attempts).toBeGreaterThan(1)
    expect(attempts).toBeLessThan(10)
  })
})

describe("409 with Stream-Closed", () => {
  it("rejects the append, flush and every later append with STREAM_CLOSED", async () => {
    const onError = vi.fn()
    const { fake, producer, url } = jsonProducer(server, { onError })
    fake.closed = true
    const error = await failure(producer.append("late"))
    expect(error.code).toBe("STREAM_CLOSED")
    expect(error.status).toBe(409)
    expect(error.url).toBe(url)
    expect((await failure(producer.flush())).code).toBe("STREAM_CLOSED")
    expect((await failure(producer.append("later"))).code).toBe("STREAM_CLOSED")
    expect(onError).toHaveBeenCalledTimes(1)
    expect(onError.mock.calls[0]![0]).toBe(error)
    // Not retried: a closed stream stays closed.
    expect(fake.requests).toHaveLength(1)
  })
})

describe("403: fenced by a newer epoch", () => {
  it("without autoClaim: STALE_EPOCH carrying the server epoch; the producer stops", async () => {
    const onError = vi.fn()
    const { fake, producer, url } = jsonProducer(server, { onError, maxBatchItems: 1 })
    fake.seedProducer("writer", 5, 3)
    const first = producer.append("zombie write")
    const second = producer.append("queued behind it")
    const error = await failure(first)
    expect(error.code).toBe("STALE_EPOCH")
    expect(error.status).toBe(403)
    expect(error.url).toBe(url)
    expect(error.headers?.get("Producer-Epoch")).toBe("5")
    expect(error.currentEpoch).toBe(5)
    // The raw 403 it wraps carries the field too (the bytes layer's response mapping).
    expect((error.cause as typeof error).currentEpoch).toBe(5)
    expect(error.message).toContain("5")
    expect((await failure(second)).code).toBe("STALE_EPOCH")
    expect((await failure(producer.flush())).code).toBe("STALE_EPOCH")
    expect((await failure(producer.append("after"))).code).toBe("STALE_EPOCH")
    expect(producer.error).toBe(error)
    expect(onError).toHaveBeenCalledTimes(1)
    // Only the fenced request went out; nothing was stored.
    expect(fake.requests).toHaveLength(1)
    expect(fake.messages).toEqual([])
  })

  it("with autoClaim: moves to server epoch + 1 at seq 0 and the data lands once", async () => {
    const { fake, producer } = jsonProducer(server, { autoClaim: true, maxBatchItems: 1 })
    fake.seedProducer("writer", 5, 3)
    const results = ["a", "b", "c"].map((v) => producer.append(v))
    await producer.flush()
    await Promise.all(results)
    expect(fake.tuples()).toEqual([
      [0, 0],
      [6, 0],
      [6, 1],
      [6, 2],
    ])
    expect(fake.requests[0]!.outcome).toBe(403)
    expect(fake.messages).toEqual(["a", "b", "c"])
    expect(producer.epoch).toBe(6)
    expect(producer.nextSeq).toBe(3)
  })

  it("with autoClaim: batches pipelined when the fence happens are renumbered and land once, in order", async () => {
    const { fake, producer } = jsonProducer(server, { autoClaim: true, maxBatchItems: 1, maxInFlight: 4 })
    // After seq 0 is stored, another instance takes over with epoch 3.
    fake.fault((r) => {
      if (r.epoch === "0" && r.seq === "1" && r.attempt === 0) fake.seedProducer("writer", 3, 9)
      return undefined
    })
    const values = ["v0", "v1", "v2", "v3", "v4"]
    const results = values.map((v) => producer.append(v))
    await producer.flush()
    await Promise.all(results)
    expect(fake.messages).toEqual(values)
    expect(producer.epoch).toBe(4)
    const accepted = fake.requests.filter((r) => r.outcome === 200).map((r) => [r.epoch, r.seq])
    expect(accepted).toEqual([
      ["0", "0"],
      ["4", "0"],
      ["4", "1"],
      ["4", "2"],
      ["4", "3"],
    ])
  })
})

describe("400: bad request", () => {
  it("fails with BAD_REQUEST and is not retried", async () => {
    const onError = vi.fn()
    const { fake, producer } = jsonProducer(server, { onError, retry: { maxRetries: 5 } })
    fake.fault(() => ({ status: 400 }))
    const error = await failure(producer.append("x"))
    expect(error.code).toBe("BAD_REQUEST")
    expect(error.status).toBe(400)
    expect((await failure(producer.flush())).code).toBe("BAD_REQUEST")
    expect(fake.requests).toHaveLength(1)
    expect(onError).toHaveBeenCalledTimes(1)
  })
})
