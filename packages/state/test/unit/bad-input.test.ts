/**
 * Every entry point of the state layer, driven with the mistakes callers
 * make: each must throw INVALID_ARGUMENT naming the option and the stream,
 * before a single request goes out.
 */
import { countingFetch, raisedError } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import {
  DurableStream,
  IdempotentProducer,
  JsonStream,
  StateWriter,
  materialize,
  memoryStorage,
  type DurableStreamError,
} from "../../src/index"

type Fetch = typeof globalThis.fetch

const URL_TEXT = "http://state.test/v1/stream/bad-input"

interface Case {
  name: string
  option: string
  run: (fetch: Fetch) => unknown
}

const view = (fetch: Fetch, extra: object): unknown => materialize({ url: URL_TEXT, fetch, ...extra } as never)
const handle = (fetch: Fetch): DurableStream => new DurableStream({ url: URL_TEXT, contentType: "application/json", fetch })
const json = (fetch: Fetch): JsonStream => new JsonStream({ url: URL_TEXT, fetch })

const cases: Case[] = [
  // materialize
  { name: "materialize(null)", option: "options", run: () => materialize(null as never) },
  { name: "materialize(undefined)", option: "options", run: () => materialize(undefined as never) },
  { name: "materialize with neither url nor stream", option: "url or a stream", run: () => materialize({}) },
  { name: "materialize with url and stream", option: "not both", run: (fetch) => materialize({ url: URL_TEXT, stream: handle(fetch) }) },
  { name: "materialize with a stream that is not a handle", option: "stream", run: () => materialize({ stream: { url: URL_TEXT } as never }) },
  { name: "materialize with headers beside a stream", option: "headers", run: (fetch) => materialize({ stream: handle(fetch), headers: { a: "b" } }) },
  { name: "materialize with fetch beside a stream", option: "fetch", run: (fetch) => materialize({ stream: json(fetch), fetch }) },
  { name: "materialize with a plain object schema", option: "schema", run: (fetch) => view(fetch, { schema: { users: {} } }) },
  { name: "materialize with an empty offset", option: "offset", run: (fetch) => view(fetch, { offset: "" }) },
  { name: "materialize with from and offset", option: "from and offset", run: (fetch) => view(fetch, { offset: "1_1", from: { offset: "1_1", state: { version: 1, tables: {} } } }) },
  { name: "materialize with from that is not a checkpoint", option: "from", run: (fetch) => view(fetch, { from: { offset: "1_1", state: {} } }) },
  { name: "materialize with live: true", option: "live", run: (fetch) => view(fetch, { live: true }) },
  { name: "materialize with a bogus shareAcrossTabs", option: "shareAcrossTabs", run: (fetch) => view(fetch, { shareAcrossTabs: {} }) },
  { name: "materialize with storage lacking save", option: "storage", run: (fetch) => view(fetch, { storage: { load: () => undefined } }) },
  { name: "materialize with an empty storageKey", option: "storageKey", run: (fetch) => view(fetch, { storage: memoryStorage(), storageKey: "" }) },
  ...([-1, Number.NaN, 2 ** 31, "1000"] as const).map((value): Case => ({
    name: `materialize with checkpointIntervalMs ${String(value)}`,
    option: "checkpointIntervalMs",
    run: (fetch) => view(fetch, { checkpointIntervalMs: value }),
  })),
  { name: "materialize with an AbortController", option: "signal", run: (fetch) => view(fetch, { signal: new AbortController() }) },
  { name: "materialize with a non-function onInvalidMessage", option: "onInvalidMessage", run: (fetch) => view(fetch, { onInvalidMessage: "skip" }) },
  { name: "materialize with a non-function onCallbackError", option: "onCallbackError", run: (fetch) => view(fetch, { onCallbackError: {} }) },

  { name: "awaitTxid with a NaN timeout", option: "timeoutMs", run: (fetch) => materialize({ url: URL_TEXT, fetch, live: false, signal: AbortSignal.abort() }).awaitTxid("t", { timeoutMs: Number.NaN }) },
  { name: "awaitTxid with a number for txid", option: "txid", run: (fetch) => materialize({ url: URL_TEXT, fetch, live: false, signal: AbortSignal.abort() }).awaitTxid(7 as never) },

  // StateWriter
  { name: "StateWriter on null", option: "JsonStream, DurableStream or IdempotentProducer", run: () => new StateWriter(null as never) },
  { name: "StateWriter with null options", option: "StateWriter options", run: (fetch) => new StateWriter(json(fetch), null as never) },
  { name: "StateWriter with a plain object schema", option: "schema", run: (fetch) => new StateWriter(json(fetch), { schema: {} as never }) },
  { name: "StateWriter with an empty producerId", option: "producerId", run: (fetch) => new StateWriter(json(fetch), { producerId: "" }) },
  { name: "StateWriter with lingerMs 2^31", option: "lingerMs", run: (fetch) => new StateWriter(json(fetch), { lingerMs: 2 ** 31 }) },
  { name: "StateWriter with a non-function onError", option: "onError", run: (fetch) => new StateWriter(json(fetch), { onError: 1 as never }) },
  { name: "write with a numeric txid", option: "txid", run: (fetch) => new StateWriter(json(fetch), { lingerMs: 0 }).write([], { txid: 5 as never }) },
  { name: "write with options as a string", option: "write options", run: (fetch) => new StateWriter(json(fetch)).write([], "t" as never) },
  {
    name: "StateWriter on a producer with producer options beside it",
    option: "lingerMs",
    run: (fetch) => new StateWriter(new IdempotentProducer(json(fetch), "p"), { lingerMs: 1 }),
  },
]

describe("bad input to the state layer", () => {
  it.each(cases)("$name → INVALID_ARGUMENT naming $option, no request", async ({ option, run }) => {
    const spy = countingFetch()
    const error = await raisedError<DurableStreamError>(() => run(spy.fetch))
    expect(error.code, error.message).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(option)
    // The stream the mistake was made for, or "(no url)" when there is none to name yet.
    expect([URL_TEXT, "(no url)"]).toContain(error.url)
    expect(error.message).toContain(error.url)
    expect(spy.calls).toBe(0)
  })
})
