// Bad options fail at construction, as INVALID_ARGUMENT naming the option,
// before any request is made.
import { expectErrorCode } from "@durable-client/testing/vitest"
import { describe, expect, it, vi } from "vitest"
import { Doc } from "yjs"
import { DurableYjsProvider, PROVIDER_DEFAULTS, type DurableStreamError, type DurableYjsProviderOptions } from "../../src/index"

const url = "http://127.0.0.1:9/v1/stream/doc"

const cases: Array<[string, Partial<DurableYjsProviderOptions> | Record<string, unknown>, RegExp]> = [
  ["url missing", { url: undefined }, /url must be/],
  ["relative url", { url: "/v1/stream/doc" }, /url/],
  ["fetch not a function", { fetch: "fetch" }, /fetch/],
  ["storage without save", { storage: { load: () => undefined } }, /storage must be a CheckpointStorage/],
  ["empty storageKey", { storageKey: "" }, /storageKey must be/],
  ["live mode", { live: "websocket" }, /live must be/],
  ["checkpointIntervalMs negative", { checkpointIntervalMs: -1 }, /checkpointIntervalMs/],
  ["lingerMs NaN", { lingerMs: Number.NaN }, /lingerMs/],
  ["create not boolean", { create: "yes" }, /create must be true or false/],
  ["connect not boolean", { connect: 1 }, /connect must be true or false/],
  ["producerId empty", { producerId: "" }, /producerId/],
  ["signal is a controller", { signal: new AbortController() }, /signal must be an AbortSignal/],
  ["reconnect delays backwards", { reconnect: { initialDelayMs: 500, maxDelayMs: 100 } }, /reconnect.maxDelayMs/],
  ["awareness not an object", { awareness: true }, /awareness must be an object/],
  ["awareness ttl 0", { awareness: { ttlSeconds: 0 } }, /awareness.ttlSeconds/],
  ["awareness timeout above y-protocols'", { awareness: { timeoutMs: 60_000 } }, /awareness.timeoutMs/],
  ["awareness throttle infinite", { awareness: { throttleMs: Infinity } }, /awareness.throttleMs/],
  ["awareness instance", { awareness: { instance: {} } }, /awareness.instance/],
  ["retry", { retry: { maxRetries: -1 } }, /retry/],
]

describe("provider options", () => {
  it.each(cases)("%s: INVALID_ARGUMENT naming the option, no request", async (_name, bad, message) => {
    const fetchSpy = vi.fn(async () => new Response(null, { status: 500 }))
    const options = { url, fetch: fetchSpy, ...bad } as DurableYjsProviderOptions
    const error = await expectErrorCode<DurableStreamError>(
      (async () => new DurableYjsProvider(new Doc(), options))(),
      "INVALID_ARGUMENT"
    )
    expect(error.message).toMatch(message)
    expect(fetchSpy).not.toHaveBeenCalled()
  })

  it("a doc that is not a Y.Doc is refused", async () => {
    const error = await expectErrorCode<DurableStreamError>(
      (async () => new DurableYjsProvider({} as Doc, { url }))(),
      "INVALID_ARGUMENT"
    )
    expect(error.message).toMatch(/doc must be a Y.Doc/)
  })

  it("defaults are frozen and documented values", () => {
    expect(Object.isFrozen(PROVIDER_DEFAULTS)).toBe(true)
    expect(PROVIDER_DEFAULTS).toMatchObject({ checkpointIntervalMs: 1000, lingerMs: 10, live: "auto" })
  })

  it("connect: false makes no request until connect()", async () => {
    const fetchSpy = vi.fn(async () => new Response(null, { status: 503 }))
    const provider = new DurableYjsProvider(new Doc(), { url, fetch: fetchSpy, connect: false, awareness: false })
    provider.doc.getText("text").insert(0, "local only")
    expect(provider.status).toBe("disconnected")
    expect(provider.pendingUpdates).toBe(1)
    await provider.destroy()
    expect(fetchSpy).not.toHaveBeenCalled()
    expect(DurableYjsProvider.isInstance(provider)).toBe(true)
    expect(DurableYjsProvider.isInstance({})).toBe(false)
  })
})
