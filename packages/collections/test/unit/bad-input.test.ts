/**
 * createStreamDB and queries, driven with the mistakes callers make: each
 * must throw INVALID_ARGUMENT naming the option and the stream, before a
 * single request goes out.
 */
import { countingFetch, raisedError } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, createStreamDB, type DurableStreamError } from "../../src/index"
import { schema } from "../support/db"
import { harness } from "../support/harness"

type Fetch = typeof globalThis.fetch

const URL_TEXT = "http://collections.test/v1/stream/bad-input"

interface Case {
  name: string
  option: string
  run: (fetch: Fetch) => unknown
}

const db = (fetch: Fetch, extra: object): unknown => createStreamDB({ url: URL_TEXT, fetch, schema, ...extra } as never)
const write = () => undefined

const cases: Case[] = [
  { name: "createStreamDB(null)", option: "options", run: () => createStreamDB(null as never) },
  { name: "createStreamDB(undefined)", option: "options", run: () => createStreamDB(undefined as never) },
  { name: "no schema", option: "schema", run: (fetch) => createStreamDB({ url: URL_TEXT, fetch } as never) },
  { name: "a schema that is a plain object", option: "schema", run: (fetch) => db(fetch, { schema: { todos: {} } }) },
  { name: "neither url nor stream", option: "url or a stream", run: () => createStreamDB({ schema } as never) },
  {
    name: "headers beside a stream",
    option: "headers",
    run: (fetch) =>
      createStreamDB({ stream: new DurableStream({ url: URL_TEXT, fetch }), schema, headers: { authorization: "x" } }),
  },
  { name: "live: \"websocket\"", option: "live", run: (fetch) => db(fetch, { live: "websocket" }) },
  { name: "storage without load", option: "storage", run: (fetch) => db(fetch, { storage: {} }) },
  { name: "an AbortController as signal", option: "signal", run: (fetch) => db(fetch, { signal: new AbortController() }) },
  { name: "an empty producerId", option: "producerId", run: (fetch) => db(fetch, { producerId: "" }) },
  ...([0, -1, Number.NaN, 2 ** 31, "30s"] as const).map((value): Case => ({
    name: `actionTimeoutMs ${String(value)}`,
    option: "actionTimeoutMs",
    run: (fetch) => db(fetch, { actionTimeoutMs: value }),
  })),
  { name: "actions as an array", option: "actions", run: (fetch) => db(fetch, { actions: [] }) },
  { name: "an action without write", option: "actions.add.write", run: (fetch) => db(fetch, { actions: { add: { optimistic: write } } }) },
  { name: "an action whose optimistic is not a function", option: "actions.add.optimistic", run: (fetch) => db(fetch, { actions: { add: { write, optimistic: true } } }) },
  { name: "an action with timeoutMs 2^31", option: "actions.add.timeoutMs", run: (fetch) => db(fetch, { actions: { add: { write, timeoutMs: 2 ** 31 } } }) },
  { name: "a non-function onInvalidMessage", option: "onInvalidMessage", run: (fetch) => db(fetch, { onInvalidMessage: "skip" }) },
  { name: "a non-function onCallbackError", option: "onCallbackError", run: (fetch) => db(fetch, { onCallbackError: 1 }) },
]

describe("bad input to createStreamDB", () => {
  it.each(cases)("$name → INVALID_ARGUMENT naming $option, no request", async ({ option, run }) => {
    const spy = countingFetch()
    const error = await raisedError<DurableStreamError>(() => run(spy.fetch))
    expect(error.code, error.message).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(option)
    expect([URL_TEXT, "(no url)"]).toContain(error.url)
    expect(error.message).toContain(error.url)
    expect(spy.calls).toBe(0)
  })
})

describe("bad query options", () => {
  it.each<[string, unknown, string]>([
    ["null options", null, "options"],
    ["where as a number", { where: 5 }, "where"],
    ["orderBy as a number", { orderBy: 1 }, "orderBy"],
  ])("%s → INVALID_ARGUMENT naming %s and the collection's stream", async (_name, options, option) => {
    const { todos } = harness()
    const error = await raisedError<DurableStreamError>(() => todos.query(options as never))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(option)
    expect(error.message).toContain("todos of stream http://collections.test/todos")
  })
})
