import { describe, expect, it } from "vitest"
import { DurableStream, IdempotentProducer, JsonStream, type IdempotentProducerOptions } from "../../src/index"
import { streamUrl, thrown, useMswServer } from "./support/msw"

// No handlers: any request at all fails the test (onUnhandledRequest: "error").
useMswServer()

function construct(options: IdempotentProducerOptions, producerId = "writer-1"): () => unknown {
  const stream = new JsonStream({ url: streamUrl("options") })
  return () => new IdempotentProducer(stream, producerId, options)
}

describe("IdempotentProducer options", () => {
  it.each<[string, IdempotentProducerOptions, string]>([
    ["a negative epoch", { epoch: -1 }, "epoch"],
    ["a non-integer epoch", { epoch: 1.5 }, "epoch"],
    ["an epoch beyond 2^53-1", { epoch: 2 ** 53 }, "epoch"],
    ["a NaN epoch", { epoch: Number.NaN }, "epoch"],
    ["maxBatchBytes 0", { maxBatchBytes: 0 }, "maxBatchBytes"],
    ["negative maxBatchBytes", { maxBatchBytes: -10 }, "maxBatchBytes"],
    ["maxInFlight 0", { maxInFlight: 0 }, "maxInFlight"],
    ["maxInFlight 1.5", { maxInFlight: 1.5 }, "maxInFlight"],
    ["maxBatchItems 0", { maxBatchItems: 0 }, "maxBatchItems"],
    ["maxBatchItems 2.5", { maxBatchItems: 2.5 }, "maxBatchItems"],
    ["lingerMs -1", { lingerMs: -1 }, "lingerMs"],
    ["lingerMs NaN", { lingerMs: Number.NaN }, "lingerMs"],
    ["maxBufferedBytes 0", { maxBufferedBytes: 0 }, "maxBufferedBytes"],
    ["retry.maxRetries -1", { retry: { maxRetries: -1 } }, "retry.maxRetries"],
    ["retry.maxRetries 1.5", { retry: { maxRetries: 1.5 } }, "retry.maxRetries"],
    ["retry.initialDelayMs 0", { retry: { initialDelayMs: 0 } }, "retry.initialDelayMs"],
    ["retry.maxDelayMs below initialDelayMs", { retry: { initialDelayMs: 50, maxDelayMs: 10 } }, "retry.maxDelayMs"],
    ["retry.multiplier 0.5", { retry: { multiplier: 0.5 } }, "retry.multiplier"],
  ])("refuses %s with INVALID_ARGUMENT naming the field", (_name, options, field) => {
    const error = thrown(construct(options))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(field)
    expect(error.message).toContain("http://json.test/streams/options-")
  })

  it("refuses an empty producerId, naming it", () => {
    const error = thrown(construct({}, ""))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain("producerId")
  })

  it("refuses a byte stream whose content type is unknown", () => {
    const stream = new DurableStream({ url: streamUrl("no-ct") })
    const error = thrown(() => new IdempotentProducer(stream, "p"))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain("content type")
  })

  it("accepts valid settings and starts at the given epoch with seq 0", () => {
    const stream = new JsonStream({ url: streamUrl("ok") })
    const producer = new IdempotentProducer(stream, "p", {
      epoch: 7,
      lingerMs: 0,
      maxBatchBytes: 1,
      maxBatchItems: 1,
      maxInFlight: 1,
      maxBufferedBytes: 1,
      retry: { maxRetries: 0, initialDelayMs: 1, maxDelayMs: 1, multiplier: 1 },
    })
    expect(producer.epoch).toBe(7)
    expect(producer.nextSeq).toBe(0)
    expect(producer.bufferedBytes).toBe(0)
    expect(producer.producerId).toBe("p")
    expect(producer.url).toBe(stream.url)
  })
})
