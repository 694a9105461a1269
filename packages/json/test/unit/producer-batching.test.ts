import { afterEach, describe, expect, it, vi } from "vitest"
import { fromUtf8, useMswServer } from "./support/msw"
import { byteProducer, jsonBodies, jsonProducer } from "./support/producer-setup"

const server = useMswServer()

describe("producer headers and sequence numbers", () => {
  it("every batch carries Producer-Id, Producer-Epoch and Producer-Seq; seq counts batches from 0", async () => {
    const { fake, producer } = jsonProducer(server, { maxBatchItems: 2 }, {}, "orders-service")
    const results = [1, 2, 3, 4, 5].map((n) => producer.append({ n }))
    await producer.flush()
    await Promise.all(results)
    expect(fake.requests).toHaveLength(3)
    for (const request of fake.requests) {
      expect(request.producerId).toBe("orders-service")
      expect(request.epoch).toBe("0")
      expect(request.contentType).toBe("application/json")
    }
    expect(fake.requests.map((r) => r.seq)).toEqual(["0", "1", "2"])
    expect(producer.nextSeq).toBe(3)
    expect(fake.messages).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }])
  })

  it("starts at the configured epoch", async () => {
    const { fake, producer } = jsonProducer(server, { epoch: 4 })
    await producer.append("x")
    expect(fake.tuples()).toEqual([[4, 0]])
  })

  it("restart() moves to epoch + 1 and starts seq again at 0", async () => {
    const { fake, producer } = jsonProducer(server, { maxBatchItems: 1 })
    await Promise.all([producer.append("a"), producer.append("b")])
    expect(producer.epoch).toBe(0)
    await producer.restart()
    expect(producer.epoch).toBe(1)
    expect(producer.nextSeq).toBe(0)
    await Promise.all([producer.append("c"), producer.append("d")])
    expect(fake.tuples()).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ])
    expect(fake.messages).toEqual(["a", "b", "c", "d"])
  })

  it("resolves each append with the offset after its batch and duplicate: false", async () => {
    const { producer } = jsonProducer(server, { maxBatchItems: 2 })
    const results = await Promise.all(["a", "b", "c"].map((v) => producer.append(v)))
    expect(results).toEqual([
      { offset: "00000002", duplicate: false },
      { offset: "00000002", duplicate: false },
      { offset: "00000003", duplicate: false },
    ])
  })
})

describe("batch bodies", () => {
  it("a JSON batch is ONE array holding every message; array values stay single messages", async () => {
    const { fake, producer } = jsonProducer(server)
    const values = [[1, 2], { a: 1 }, "s", null, []]
    const results = values.map((v) => producer.append(v))
    await producer.flush()
    await Promise.all(results)
    expect(fake.requests).toHaveLength(1)
    expect(fake.requests[0]!.text).toBe('[[1,2],{"a":1},"s",null,[]]')
    expect(fake.messages).toEqual(values)
  })

  it("works on an application/json; charset=utf-8 stream, sending that content type", async () => {
    const { fake, producer } = jsonProducer(server, {}, { contentType: "application/json; charset=utf-8" })
    await producer.append({ text: "ünïcödé" })
    expect(fake.requests[0]!.contentType).toBe("application/json; charset=utf-8")
    expect(fake.messages).toEqual([{ text: "ünïcödé" }])
  })

  it("refuses a value JSON cannot carry without stopping the producer", async () => {
    const { fake, producer, url } = jsonProducer(server)
    const bad = producer.append(10n)
    await expect(bad).rejects.toMatchObject({ code: "INVALID_ARGUMENT", url })
    await expect(producer.append(() => 1)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" })
    await producer.append("fine")
    await producer.flush()
    expect(fake.messages).toEqual(["fine"])
  })

  it("a byte stream batch concatenates the messages, with the stream's content type", async () => {
    const { fake, producer } = byteProducer(server, {}, "text/plain")
    const results = [producer.append("ab"), producer.append(new Uint8Array([99, 100])), producer.append("é\n")]
    await producer.flush()
    await Promise.all(results)
    expect(fake.requests).toHaveLength(1)
    expect(fake.requests[0]!.contentType).toBe("text/plain")
    expect(fake.requests[0]!.text).toBe("abcdé\n")
    expect(fromUtf8(fake.bytes)).toBe("abcdé\n")
  })

  it("a byte stream refuses empty data and non-byte values", async () => {
    const { fake, producer } = byteProducer(server)
    await expect(producer.append(new Uint8Array(0))).rejects.toMatchObject({ code: "INVALID_ARGUMENT" })
    await expect(producer.append(42 as unknown as string)).rejects.toMatchObject({ code: "INVALID_ARGUMENT" })
    await producer.flush()
    expect(fake.requests).toHaveLength(0)
  })

  it("maxBatchItems splits batches", async () => {
    const { fake, producer } = jsonProducer(server, { maxBatchItems: 3 })
    const results = [1, 2, 3, 4, 5, 6, 7].map((n) => producer.append(n))
    await producer.flush()
    await Promise.all(results)
    expect(jsonBodies(fake)).toEqual([[1, 2, 3], [4, 5, 6], [7]])
    expect(fake.tuples().map(([, seq]) => seq)).toEqual([0, 1, 2])
  })

  it("maxBatchBytes splits batches; no body is larger than maxBatchBytes", async () => {
    // Each message is 10 bytes of JSON; [m,m,m,m] is 4*10 + 3 commas + 2 brackets = 45 bytes.
    const maxBatchBytes = 50
    const { fake, producer } = jsonProducer(server, { maxBatchBytes })
    const messages = Array.from({ length: 10 }, (_, i) => `message${i}`)
    const results = messages.map((m) => producer.append(m))
    await producer.flush()
    await Promise.all(results)
    for (const request of fake.requests) expect(request.body.length).toBeLessThanOrEqual(maxBatchBytes)
    expect(jsonBodies(fake).map((body) => body.length)).toEqual([4, 4, 2])
    expect(fake.messages).toEqual(messages)
  })

  it("maxBatchBytes counts UTF-8 bytes, not characters", async () => {
    // "éééééé" is 8 characters of JSON but 14 bytes.
    const maxBatchBytes = 40
    const { fake, producer } = jsonProducer(server, { maxBatchBytes })
    const messages = Array.from({ length: 6 }, () => "éééééé")
    const results = messages.map((m) => producer.append(m))
    await producer.flush()
    await Promise.all(results)
    for (const request of fake.requests) expect(request.body.length).toBeLessThanOrEqual(maxBatchBytes)
    expect(fake.messages).toEqual(messages)
  })

  it("a byte stream batch stays within maxBatchBytes too", async () => {
    const maxBatchBytes = 10
    const { fake, producer } = byteProducer(server, { maxBatchBytes })
    const parts = ["abcd", "efgh", "ijkl", "mnop", "q"]
    const results = parts.map((p) => producer.append(p))
    await producer.flush()
    await Promise.all(results)
    for (const request of fake.requests) expect(request.body.length).toBeLessThanOrEqual(maxBatchBytes)
    expect(fake.requests.map((r) => r.text)).toEqual(["abcdefgh", "ijklmnopq"])
    expect(fromUtf8(fake.bytes)).toBe(parts.join(""))
  })

  it("a message larger than maxBatchBytes goes alone, never merged with its neighbours", async () => {
    const { fake, producer } = jsonProducer(server, { maxBatchBytes: 20 })
    const big = "x".repeat(30)
    const results = ["a", big, "b"].map((m) => producer.append(m))
    await producer.flush()
    await Promise.all(results)
    expect(jsonBodies(fake)).toEqual([["a"], [big], ["b"]])
  })
})

describe("lingerMs", () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it("holds a batch for lingerMs so close-together appends share one request", async () => {
    vi.useFakeTimers()
    const { fake, producer } = jsonProducer(server, { lingerMs: 60 })
    const first = producer.append("a")
    await vi.advanceTimersByTimeAsync(10)
    const second = producer.append("b")
    // Nothing is sent while the batch lingers.
    expect(fake.requests).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(49)
    expect(fake.requests).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    await fake.arrival((request) => request.index === 0)
    expect(fake.requests).toHaveLength(1)
    await Promise.all([first, second])
    expect(fake.requests[0]!.text).toBe('["a","b"]')

    // An append well after the first batch left starts a new batch.
    await vi.advanceTimersByTimeAsync(10)
    const third = producer.append("c")
    await producer.flush()
    await third
    expect(jsonBodies(fake)).toEqual([["a", "b"], ["c"]])
  })

  it("flush() sends a lingering batch at once", async () => {
    vi.useFakeTimers()
    const { fake, producer } = jsonProducer(server, { lingerMs: 10_000 })
    const started = Date.now()
    const result = producer.append("now")
    await producer.flush()
    await result
    // On the fake clock: not a millisecond of the linger passed.
    expect(Date.now() - started).toBeLessThan(2000)
    expect(Date.now()).toBe(started)
    expect(fake.messages).toEqual(["now"])
  })
})
