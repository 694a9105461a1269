/**
 * Every entry point of the JSON layer, driven with the mistakes callers
 * make: each must throw INVALID_ARGUMENT naming the option and the stream,
 * before a single request goes out.
 */
import { countingFetch, raisedError } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import {
  DurableStream,
  IdempotentProducer,
  JsonStream,
  type DurableStreamError,
  type StandardSchemaV1,
} from "../../src/index"

type Fetch = typeof globalThis.fetch

const URL_TEXT = "http://json.test/v1/stream/bad-input"

const controller = new AbortController()
const json = (fetch: Fetch): JsonStream => new JsonStream({ url: URL_TEXT, fetch })
const producer = (fetch: Fetch, options: object): IdempotentProducer =>
  new IdempotentProducer(json(fetch), "writer", options as never)
const notASchema = { validate: () => ({ value: 1 }) } as unknown as StandardSchemaV1

interface Case {
  name: string
  option: string
  run: (fetch: Fetch) => unknown
}

const badDurations: Array<[string, unknown]> = [
  ["-1", -1],
  ["NaN", Number.NaN],
  ["Infinity", Number.POSITIVE_INFINITY],
  ["2^31", 2 ** 31],
  ['"5"', "5"],
]
const badCounts: Array<[string, unknown]> = [
  ["0", 0],
  ["-1", -1],
  ["1.5", 1.5],
  ["NaN", Number.NaN],
  ['"3"', "3"],
]

const cases: Case[] = [
  // JsonStream.
  { name: "JsonStream with null options", option: "options", run: () => new JsonStream(null as never) },
  { name: "JsonStream with undefined options", option: "options", run: () => new JsonStream(undefined as never) },
  { name: "JsonStream with a text content type", option: "application/json", run: (fetch) => new JsonStream({ url: URL_TEXT, fetch, contentType: "text/plain" }) },
  { name: "JsonStream with a schema that is not a Standard Schema", option: "schema", run: (fetch) => new JsonStream({ url: URL_TEXT, fetch, schema: notASchema }) },
  { name: "JsonStream with a non-function fetch", option: "fetch", run: () => new JsonStream({ url: URL_TEXT, fetch: "fetch" as never }) },
  { name: "JsonStream.create with null", option: "options", run: () => JsonStream.create(null as never) },
  { name: "JsonStream.from with null", option: "DurableStream or JsonStream", run: () => JsonStream.from(null as never) },
  { name: "JsonStream.from with options as a string", option: "options", run: (fetch) => JsonStream.from(json(fetch), "x" as never) },
  { name: "JsonStream.from with a bad schema", option: "schema", run: (fetch) => JsonStream.from(json(fetch), { schema: notASchema }) },
  {
    name: "JsonStream.from of a byte handle that is not JSON",
    option: "application/json",
    run: (fetch) => JsonStream.from(new DurableStream({ url: URL_TEXT, fetch, contentType: "text/plain" })),
  },

  // IdempotentProducer.
  { name: "producer on null", option: "DurableStream or JsonStream", run: () => new IdempotentProducer(null as never, "p") },
  { name: "producer with null options", option: "producer options", run: (fetch) => new IdempotentProducer(json(fetch), "p", null as never) },
  { name: "producer with options as a number", option: "producer options", run: (fetch) => producer(fetch, 5 as never) },
  { name: "producer with a numeric id", option: "producerId", run: (fetch) => new IdempotentProducer(json(fetch), 7 as never) },
  { name: "producer with autoClaim \"yes\"", option: "autoClaim", run: (fetch) => producer(fetch, { autoClaim: "yes" }) },
  { name: "producer with a non-function onError", option: "onError", run: (fetch) => producer(fetch, { onError: "log" }) },
  { name: "producer with an AbortController", option: "signal", run: (fetch) => producer(fetch, { signal: controller }) },
  { name: "producer with retry as a number", option: "retry", run: (fetch) => producer(fetch, { retry: 3 }) },
  { name: "producer with maxBatchItems Infinity as a string", option: "maxBatchItems", run: (fetch) => producer(fetch, { maxBatchItems: "Infinity" }) },
  { name: "producer with epoch 2^53", option: "epoch", run: (fetch) => producer(fetch, { epoch: 2 ** 53 }) },
  ...badDurations.map(([label, value]): Case => ({
    name: `producer with lingerMs ${label}`,
    option: "lingerMs",
    run: (fetch) => producer(fetch, { lingerMs: value }),
  })),
  ...["maxBatchBytes", "maxInFlight", "maxBufferedBytes", "maxBatchItems"].flatMap((field) =>
    badCounts.map(([label, value]): Case => ({
      name: `producer with ${field} ${label}`,
      option: field,
      run: (fetch) => producer(fetch, { [field]: value }),
    }))
  ),
  { name: "flush with an AbortController", option: "signal", run: (fetch) => producer(fetch, {}).flush({ signal: controller } as never) },
  { name: "flush with options as a string", option: "flush options", run: (fetch) => producer(fetch, {}).flush("now" as never) },
  { name: "producer with retry.maxRetries NaN", option: "retry.maxRetries", run: (fetch) => producer(fetch, { retry: { maxRetries: Number.NaN } }) },
]

describe("bad input to the JSON layer", () => {
  it.each(cases)("$name → INVALID_ARGUMENT naming $option, no request", async ({ option, run }) => {
    const spy = countingFetch()
    const error = await raisedError<DurableStreamError>(() => run(spy.fetch))
    expect(error.code, error.message).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(option)
    // The stream the mistake was made for, or "(no url)" when there is none to name yet.
    expect([URL_TEXT, "(no url)", "/v1/stream/x"]).toContain(error.url)
    expect(error.message).toContain(error.url)
    expect(spy.calls).toBe(0)
  })

  it("a lingerMs of 0 and an unlimited maxBatchItems are valid", () => {
    const spy = countingFetch()
    expect(() => producer(spy.fetch, { lingerMs: 0, maxBatchItems: Number.POSITIVE_INFINITY })).not.toThrow()
    expect(spy.calls).toBe(0)
  })
})
