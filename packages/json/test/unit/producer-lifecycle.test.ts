import { afterEach, describe, expect, it, vi } from "vitest"
import { IdempotentProducer, JsonStream } from "../../src/index"
import { FakeProducerServer } from "./support/fake-producer-server"
import { FAST_RETRY, failure, gate, streamUrl, until, useMswServer } from "./support/msw"
import { jsonProducer } from "./support/producer-setup"

const server = useMswServer()

afterEach(() => {
  vi.useRealTimers()
})

describe("close()", () => {
  it("flushes, then sends Stream-Closed: true with producer headers; a second call returns the same promise", async () => {
    const { fake, producer } = jsonProducer(server, { maxBatchItems: 2 })
    const appended = ["a", "b", "c"].map((v) => producer.append(v))
    const closing = producer.close()
    const again = producer.close()
    expect(again).toBe(closing)
    const result = await closing
    await Promise.all(appended)
    expect(result.offset).toBe("00000003")
    expect(fake.closed).toBe(true)
    expect(fake.messages).toEqual(["a", "b", "c"])

    const closes = fake.requests.filter((r) => r.closeHeader === "true")
    expect(closes).toHaveLength(1)
    const close = closes[0]!
    expect(close.index).toBe(fake.requests.length - 1)
    expect(close.producerId).toBe("writer")
    expect(close.epoch).toBe("0")
    expect(close.seq).toBe("2")
    expect(close.body).toHaveLength(0)
    expect(await producer.close()).toBe(result)
    expect(fake.requests.filter((r) => r.closeHeader === "true")).toHaveLength(1)
  })

  it("refuses appends once closing, without sending them", async () => {
    const { fake, producer } = jsonProducer(server)
    const closing = producer.close()
    const error = await failure(producer.append("too late"))
    expect(error.code).toBe("STREAM_CLOSED")
    await closing
    expect((await failure(producer.append("later still"))).code).toBe("STREAM_CLOSED")
    expect(fake.requests).toHaveLength(1)
    expect(fake.messages).toEqual([])
  })

  it("close(final) sends [final] together with the close", async () => {
    const { fake, producer } = jsonProducer(server)
    await producer.append({ first: true })
    await producer.close([1, 2])
    const close = fake.requests.at(-1)!
    expect(close.closeHeader).toBe("true")
    expect(close.text).toBe("[[1,2]]")
    expect(close.contentType).toBe("application/json")
    expect([close.producerId, close.epoch, close.seq]).toEqual(["writer", "0", "1"])
    expect(fake.messages).toEqual([{ first: true }, [1, 2]])
    expect(fake.closed).toBe(true)
  })

  it("close(final) with a value JSON cannot carry rejects at once, sends nothing and leaves the producer usable", async () => {
    const { fake, producer, url } = jsonProducer(server)
    const error = await failure(producer.close(10n))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.url).toBe(url)
    expect(fake.requests).toHaveLength(0)
    await producer.append("still open")
    await producer.close("bye")
    expect(fake.messages).toEqual(["still open", "bye"])
    expect(fake.closed).toBe(true)
  })

  it("a close whose response was lost is resent and deduplicated: the final message lands once", async () => {
    const { fake, producer } = jsonProducer(server)
    fake.fault((r) => (r.closeHeader === "true" && r.attempt === 0 ? { storeThenNetworkError: true } : undefined))
    await producer.close("last words")
    expect(fake.requests.map((r) => r.outcome)).toEqual(["network-error", 204])
    expect(fake.requests[1]!.text).toBe(fake.requests[0]!.text)
    expect(fake.messages).toEqual(["last words"])
  })

  it("a close-only on a stream someone else already closed fails with STREAM_CLOSED (PROTOCOL §5.2.1)", async () => {
    const { fake, producer } = jsonProducer(server)
    fake.closed = true
    expect((await failure(producer.close())).code).toBe("STREAM_CLOSED")
    expect(fake.requests[0]!.outcome).toBe(409)
  })

  it("close() rejects when an earlier batch failed, and sends no close", async () => {
    const { fake, producer } = jsonProducer(server, { retry: { maxRetries: 0 } })
    fake.fault((r) => (r.closeHeader === null ? { status: 503 } : undefined))
    void producer.append("lost")
    expect((await failure(producer.close())).status).toBe(503)
    expect(fake.requests.filter((r) => r.closeHeader === "true")).toHaveLength(0)
    expect(fake.closed).toBe(false)
  })
})

describe("detach()", () => {
  it("flushes pending appends, then refuses new ones without closing the stream", async () => {
    const { fake, producer } = jsonProducer(server, { lingerMs: 10_000 })
    const appended = producer.append("pending")
    await producer.detach()
    expect(await appended).toMatchObject({ duplicate: false })
    expect(fake.messages).toEqual(["pending"])
    const error = await failure(producer.append("after detach"))
    expect(error.code).toBe("STREAM_CLOSED")
    expect(error.message).toContain("detached")
    expect(fake.closed).toBe(false)
    expect(fake.requests.every((r) => r.closeHeader === null)).toBe(true)
    expect(fake.requests).toHaveLength(1)
  })

  it("another producer can go on writing the stream after a detach", async () => {
    const { fake, producer, url } = jsonProducer(server)
    await producer.append(1)
    await producer.detach()
    const next = new IdempotentProducer(new JsonStream({ url }), "writer", {
      epoch: 1,
      lingerMs: 0,
      retry: FAST_RETRY,
    })
    await next.append(2)
    expect(fake.messages).toEqual([1, 2])
  })
})

describe("restart()", () => {
  it("lets a failed producer go on at epoch + 1, seq 0", async () => {
    const { fake, producer } = jsonProducer(server, { retry: { maxRetries: 0 } })
    fake.fault((r) => (r.epoch === "0" ? { status: 503 } : undefined))
    expect((await failure(producer.append("lost"))).status).toBe(503)
    await producer.restart()
    expect(producer.error).toBeUndefined()
    await producer.append("kept")
    await producer.flush()
    expect(fake.tuples()).toEqual([
      [0, 0],
      [1, 0],
    ])
    expect(fake.messages).toEqual(["kept"])
  })
})

describe("AbortSignal", () => {
  it("stops the producer: pending appends and flush reject with ABORTED and no timer is left", async () => {
    // On the fake clock every timer is the producer's (or its handle's), and none ever fires on its own.
    vi.useFakeTimers()
    const url = streamUrl("abort")
    const fake = new FakeProducerServer(url)
    // The server is unavailable and asks for 30 s of patience: the retry sleeps.
    fake.fault(() => ({ status: 503, headers: { "Retry-After": "30" } }))
    server.use(...fake.handlers())
    const baseline = vi.getTimerCount()

    const controller = new AbortController()
    const producer = new IdempotentProducer(new JsonStream({ url }), "writer", {
      signal: controller.signal,
      lingerMs: 10_000,
      retry: FAST_RETRY,
    })
    const first = producer.append("in backoff")
    const flushing = producer.flush()
    await fake.answered((request) => request.index === 0)
    // This one lingers in the open batch behind the first (one batch in flight per new epoch).
    const second = producer.append("lingering")
    // The linger and the retry's backoff (its 503 still has to reach the client).
    await until(() => vi.getTimerCount() >= baseline + 2)

    controller.abort()
    for (const pending of [first, second, flushing]) {
      const error = await failure(pending)
      expect(error.code).toBe("ABORTED")
      expect(error.url).toBe(url)
    }
    expect((await failure(producer.append("after abort"))).code).toBe("ABORTED")
    expect(producer.error).toMatchObject({ code: "ABORTED" })
    expect(vi.getTimerCount()).toBeLessThanOrEqual(baseline)
    expect(fake.requests).toHaveLength(1)
  })

  it("cancels a request in flight", async () => {
    const { fake, url } = jsonProducer(server)
    const hold = gate()
    fake.fault(() => ({ waitFor: hold.promise }))
    const controller = new AbortController()
    const producer = new IdempotentProducer(new JsonStream({ url }), "other", {
      signal: controller.signal,
      lingerMs: 0,
      retry: FAST_RETRY,
    })
    const appended = producer.append("on the wire")
    await fake.arrival((request) => request.index === 0)
    controller.abort()
    expect((await failure(appended)).code).toBe("ABORTED")
    expect((await failure(producer.flush())).code).toBe("ABORTED")
    hold.open()
  })

  it("an already aborted signal refuses every append", async () => {
    const { url } = jsonProducer(server)
    const producer = new IdempotentProducer(new JsonStream({ url }), "writer", { signal: AbortSignal.abort() })
    expect((await failure(producer.append("x"))).code).toBe("ABORTED")
  })

  it("flush({ signal }) stops only the waiting; the data is still sent", async () => {
    const { fake, producer } = jsonProducer(server)
    const hold = gate()
    fake.fault(() => ({ waitFor: hold.promise }))
    const appended = producer.append("slow")
    const controller = new AbortController()
    const flushing = producer.flush({ signal: controller.signal })
    controller.abort()
    expect((await failure(flushing)).code).toBe("ABORTED")
    hold.open()
    await appended
    await producer.flush()
    expect(fake.messages).toEqual(["slow"])
  })
})
