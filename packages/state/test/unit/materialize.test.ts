import { describe, expect, it } from "vitest"
import {
  DurableStreamError,
  JsonStream,
  StateMessageError,
  createStateSchema,
  keyValueStorage,
  materialize,
  memoryStorage,
  MaterializedState,
  type Change,
  type KeyValueBackend,
  type StateMessage,
  type StateSnapshot,
} from "../../src/index"
import { FAKE_URL, hangingFetch, pagedReadFetch, type FakePage } from "../support/fake-http"
import { control, del, ins, upd } from "../support/messages"
import { asyncObjectSchema, objectSchema } from "../support/schemas"

const schema = createStateSchema({
  users: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string", name: "string" }) },
  todos: { type: "todo", primaryKey: "id", schema: asyncObjectSchema({ id: "string", done: "boolean" }) },
})

const user = (id: string, name: string) => ({ id, name })
const todo = (id: string, done: boolean) => ({ id, done })

function materializedRows(messages: StateMessage[]): StateSnapshot {
  const state = new MaterializedState()
  state.apply(messages)
  return state.toJSON()
}

function rows(state: { entries(type: string): IterableIterator<[string, unknown]> }, type: string) {
  return Object.fromEntries(state.entries(type))
}

describe("materialize (catch-up reads)", () => {
  it("applies every batch in order, then resolves ready and done", async () => {
    const fetch = pagedReadFetch([
      { items: [ins("user", "1", user("1", "Ada")), ins("user", "2", user("2", "Alan"))] },
      { items: [upd("user", "1", user("1", "Ada L.")), del("user", "2"), ins("todo", "t", todo("t", false))] },
    ])
    const m = materialize({ url: FAKE_URL, fetch, live: false, schema })
    await m.ready
    await m.done
    expect(rows(m.state, "user")).toEqual({ "1": user("1", "Ada L.") })
    expect(rows(m.state, "todo")).toEqual({ t: todo("t", false) })
    expect(m.caughtUp).toBe(true)
    expect(m.startOffset).toBe("-1")
    expect(m.offset).toBe("00000002")
    expect(m.messagesApplied).toBe(5)
    expect(m.status).toBe("closed")
  })

  it("accepts an existing JsonStream handle instead of a url", async () => {
    const fetch = pagedReadFetch([{ items: [ins("user", "1", user("1", "Ada"))] }])
    const m = materialize({ stream: new JsonStream({ url: FAKE_URL, fetch }), live: false })
    await m.done
    expect(m.url).toBe(FAKE_URL)
    expect(m.state.get("user", "1")).toEqual(user("1", "Ada"))
  })

  it("refuses to start without a url or a stream", () => {
    expect(() => materialize({ live: false })).toThrow(DurableStreamError)
  })

  it("starts from the given offset", async () => {
    const fetch = pagedReadFetch([{ items: [ins("user", "1", user("1", "skipped"))] }, { items: [ins("user", "2", user("2", "B"))] }])
    const m = materialize({ url: FAKE_URL, fetch, live: false, offset: "00000001" })
    await m.done
    expect(m.startOffset).toBe("00000001")
    expect(rows(m.state, "user")).toEqual({ "2": user("2", "B") })
  })

  it("keeps a snapshot spread over several read batches invisible until its end", async () => {
    const fetch = pagedReadFetch([
      { items: [ins("user", "0", user("0", "old")), control("snapshot-start"), ins("user", "1", user("1", "A"))] },
      { items: [ins("user", "2", user("2", "B"))] },
      { items: [del("user", "0"), control("snapshot-end"), ins("user", "3", user("3", "C"))] },
    ])
    const m = materialize({ url: FAKE_URL, fetch, live: false, schema })
    const calls: Change[][] = []
    const sizes: number[] = []
    m.subscribe((changes) => {
      calls.push([...changes])
      sizes.push(m.state.size("user"))
    })
    await m.done
    expect(calls.map((c) => c.map((x) => `${x.operation}:${x.key}`))).toEqual([
      ["insert:0"],
      ["insert:1", "insert:2", "delete:0", "insert:3"],
    ])
    expect(sizes).toEqual([1, 3])
  })

  it("validates values with async schemas and keeps stream order", async () => {
    const fetch = pagedReadFetch([
      { items: [ins("todo", "a", todo("a", false)), ins("user", "u", user("u", "U")), upd("todo", "a", todo("a", true))] },
    ])
    const m = materialize({ url: FAKE_URL, fetch, live: false, schema })
    const seen: string[] = []
    m.subscribe((changes) => seen.push(...changes.map((c) => `${c.operation}:${c.type}/${c.key}`)))
    await m.done
    expect(seen).toEqual(["insert:todo/a", "insert:user/u", "update:todo/a"])
    expect(m.state.get("todo", "a")).toEqual(todo("a", true))
  })
})

describe("invalid messages", () => {
  const pages: FakePage[] = [
    { items: [ins("user", "1", user("1", "Ada"))] },
    {
      items: [
        ins("user", "2", user("2", "Bob")),
        { type: "user", key: "3", headers: { operation: "insert" } }, // no value
        ins("admin", "root", { id: "root" }), // type not in the schema
        ins("user", "4", { id: "4", name: 4 }), // fails the value schema
        ins("todo", "t", { id: "t", done: "maybe" }), // fails an async value schema
        { headers: { control: "rewind" } }, // unknown control
        ins("todo", "ok", todo("ok", true)),
      ],
    },
    { items: [upd("user", "1", user("1", "Ada L."))] },
  ]

  it("with onInvalidMessage: reported and skipped, everything else applies", async () => {
    const errors: StateMessageError[] = []
    const m = materialize({ url: FAKE_URL, fetch: pagedReadFetch(pages), live: false, schema, onInvalidMessage: (e) => errors.push(e) })
    await m.ready
    await m.done
    expect(rows(m.state, "user")).toEqual({ "1": user("1", "Ada L."), "2": user("2", "Bob") })
    expect(rows(m.state, "todo")).toEqual({ ok: todo("ok", true) })
    expect(m.state.types().sort()).toEqual(["todo", "user"])
    expect(errors.map((e) => [e.code, e.entityType, e.key, e.offset])).toEqual([
      ["VALIDATION", "user", "3", "00000001"],
      ["VALIDATION", "admin", "root", "00000001"],
      ["VALIDATION", "user", "4", "00000001"],
      ["VALIDATION", "todo", "t", "00000001"],
      ["VALIDATION", undefined, undefined, "00000001"],
    ])
    expect(errors[2]!.issues).toEqual([{ message: "expected string, got number", path: ["name"] }])
    expect(errors[3]!.issues).toEqual([{ message: "expected boolean, got string", path: ["done"] }])
    for (const error of errors) expect(error.message).toContain(FAKE_URL)
    expect(m.messagesApplied).toBe(4)
  })

  it("without onInvalidMessage: the materializer stops with the error and ready rejects", async () => {
    const m = materialize({ url: FAKE_URL, fetch: pagedReadFetch(pages), live: false, schema })
    const error = await m.ready.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(StateMessageError)
    expect((error as StateMessageError).entityType).toBe("user")
    expect((error as StateMessageError).key).toBe("3")
    expect((error as StateMessageError).offset).toBe("00000001")
    await expect(m.done).rejects.toBe(error)
    expect(m.status).toBe("error")
    // The batch holding the bad message is not applied at all, nor anything after it.
    expect(rows(m.state, "user")).toEqual({ "1": user("1", "Ada") })
    expect(m.offset).toBe("00000001")
    // Waiting on a txid after the failure reports the failure.
    await expect(m.awaitTxid("anything")).rejects.toBe(error)
  })

  it("without a schema, any well-formed type is applied but malformed messages still stop it", async () => {
    const m = materialize({
      url: FAKE_URL,
      fetch: pagedReadFetch([{ items: [ins("whatever", "1", 1)] }, { items: [{ type: "x", key: "", value: 1, headers: { operation: "insert" } }] }]),
      live: false,
    })
    await expect(m.done).rejects.toBeInstanceOf(StateMessageError)
    // It never caught up, so ready carries the same failure.
    await expect(m.ready).rejects.toBeInstanceOf(StateMessageError)
    expect(m.state.get("whatever", "1")).toBe(1)
  })
})

describe("checkpoints", () => {
  it("saves (offset, state) at the end of a read, and a restart reads only what came after", async () => {
    const storage = memoryStorage()
    const pages: FakePage[] = [
      { items: [ins("user", "1", user("1", "A")), control("snapshot-start"), ins("user", "2", user("2", "B"))] },
    ]
    const first = materialize({ url: FAKE_URL, fetch: pagedReadFetch(pages), live: false, storage })
    await first.done
    const saved = (await storage.load(FAKE_URL))!
    expect(saved.offset).toBe("00000001")
    expect(saved.state.pendingSnapshot).toHaveLength(1)

    pages.push({ items: [control("snapshot-end"), upd("user", "1", user("1", "A2"))] })
    const fetch = pagedReadFetch(pages)
    const second = materialize({ url: FAKE_URL, fetch, live: false, storage })
    await second.done
    expect(second.startOffset).toBe("00000001")
    expect(second.messagesApplied).toBe(2)
    expect(fetch.requests).toHaveLength(1)
    expect(new URL(fetch.requests[0]!).searchParams.get("offset")).toBe("00000001")
    expect(rows(second.state, "user")).toEqual({ "1": user("1", "A2"), "2": user("2", "B") })
  })

  it("uses storageKey when given, so two views of one stream keep separate checkpoints", async () => {
    const storage = memoryStorage()
    const fetch = pagedReadFetch([{ items: [ins("user", "1", 1)] }])
    await materialize({ url: FAKE_URL, fetch, live: false, storage, storageKey: "view-a" }).done
    expect(await storage.load("view-a")).toBeDefined()
    expect(await storage.load(FAKE_URL)).toBeUndefined()
  })

  it("rebuilds from the beginning when the stored checkpoint is garbage", async () => {
    const items = new Map<string, string>([[`durable-client:${FAKE_URL}`, "{not json"]])
    const backend: KeyValueBackend = {
      getItem: async (key) => items.get(key) ?? null,
      setItem: async (key, value) => void items.set(key, value),
      removeItem: async (key) => void items.delete(key),
    }
    const m = materialize({ url: FAKE_URL, fetch: pagedReadFetch([{ items: [ins("user", "1", 1)] }]), live: false, storage: keyValueStorage(backend) })
    await m.done
    expect(m.startOffset).toBe("-1")
    expect(m.state.get("user", "1")).toBe(1)
    // ...and leaves a good checkpoint behind.
    expect(JSON.parse(items.get(`durable-client:${FAKE_URL}`)!)).toMatchObject({ offset: "00000001" })
  })

  it("rebuilds from the beginning when the checkpoint's offset is gone (410)", async () => {
    const storage = memoryStorage()
    const stale = materializedRows([ins("user", "old", "stale"), ins("user", "1", "stale")])
    await storage.save(FAKE_URL, { offset: "99999999", state: stale })
    const fetch = pagedReadFetch([{ items: [ins("user", "1", "fresh")] }])
    const m = materialize({ url: FAKE_URL, fetch, live: false, storage })
    const changes: Change[] = []
    m.subscribe((batch) => changes.push(...batch))
    await m.done
    expect(m.startOffset).toBe("99999999")
    expect(fetch.requests.map((r) => new URL(r).searchParams.get("offset"))).toEqual(["99999999", "-1"])
    expect(rows(m.state, "user")).toEqual({ "1": "fresh" })
    // Observers saw the checkpoint arrive, then go away, before the fresh rows came.
    expect(changes.map((c) => `${c.operation}:${c.key}`)).toEqual([
      "insert:old",
      "insert:1",
      "delete:old",
      "delete:1",
      "insert:1",
    ])
    expect((await storage.load(FAKE_URL))!.offset).toBe("00000001")
  })

  it("a reset on the stream clears the stored checkpoint's old rows", async () => {
    const storage = memoryStorage()
    const pages: FakePage[] = [{ items: [ins("user", "1", 1), ins("user", "2", 2)] }]
    await materialize({ url: FAKE_URL, fetch: pagedReadFetch(pages), live: false, storage }).done
    pages.push({ items: [control("reset"), ins("user", "3", 3)] })
    const m = materialize({ url: FAKE_URL, fetch: pagedReadFetch(pages), live: false, storage })
    await m.done
    expect(rows(m.state, "user")).toEqual({ "3": 3 })
    expect((await storage.load(FAKE_URL))!.state.tables).toEqual({ user: [["3", 3]] })
  })
})

describe("stopping", () => {
  it("dispose() before the first response settles ready (rejected, ABORTED) and done", async () => {
    const fetch = hangingFetch()
    const m = materialize({ url: FAKE_URL, fetch, live: "long-poll" })
    await fetch.requested
    expect(fetch.requests).toBe(1)
    await m.dispose()
    await expect(m.done).resolves.toBeUndefined()
    await expect(m.ready).rejects.toMatchObject({ code: "ABORTED" })
    expect(m.caughtUp).toBe(false)
    expect(m.status).toBe("closed")
  })

  it("aborting the signal stops it like dispose()", async () => {
    const controller = new AbortController()
    const m = materialize({ url: FAKE_URL, fetch: hangingFetch(), live: "sse", signal: controller.signal })
    controller.abort()
    await expect(m.done).resolves.toBeUndefined()
    await expect(m.ready).rejects.toMatchObject({ code: "ABORTED" })
    expect(m.status).toBe("closed")
  })

  it("an already aborted signal never reads", async () => {
    const controller = new AbortController()
    controller.abort()
    const fetch = hangingFetch()
    const m = materialize({ url: FAKE_URL, fetch, live: "sse", signal: controller.signal })
    await m.done
    expect(fetch.requests).toBe(0)
  })

  it("dispose() twice is harmless", async () => {
    const m = materialize({ url: FAKE_URL, fetch: pagedReadFetch([{ items: [ins("user", "1", 1)] }]), live: false })
    await m.ready
    await Promise.all([m.dispose(), m.dispose()])
    await m.dispose()
    expect(m.state.get("user", "1")).toBe(1)
  })

  it("close(), the deprecated alias, stops it like dispose()", async () => {
    const fetch = hangingFetch()
    const m = materialize({ url: FAKE_URL, fetch, live: "long-poll" })
    await fetch.requested
    await m.close()
    await expect(m.done).resolves.toBeUndefined()
    expect(m.status).toBe("closed")
  })
})

describe("awaitTxid", () => {
  it("resolves for a txid already applied, and for one applied later", async () => {
    const fetch = pagedReadFetch([{ items: [ins("user", "1", 1, "tx-a")] }, { items: [ins("user", "2", 2, "tx-b")] }])
    const m = materialize({ url: FAKE_URL, fetch, live: false })
    const later = m.awaitTxid("tx-b", { timeoutMs: 5_000 })
    await m.done
    await expect(later).resolves.toBeUndefined()
    await expect(m.awaitTxid("tx-a")).resolves.toBeUndefined()
  })

  it("rejects with ABORTED when the materializer ends before the txid arrives, instead of waiting forever", async () => {
    const m = materialize({ url: FAKE_URL, fetch: pagedReadFetch([{ items: [ins("user", "1", 1, "tx-a")] }]), live: false })
    const waiting = m.awaitTxid("never")
    await m.done
    const error = await waiting.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DurableStreamError)
    expect((error as DurableStreamError).code).toBe("ABORTED")
    // Asking after the end answers at once too; a txid that did arrive still resolves.
    await expect(m.awaitTxid("never-either")).rejects.toMatchObject({ code: "ABORTED" })
    await expect(m.awaitTxid("tx-a")).resolves.toBeUndefined()
  })

  it("rejects pending waits with ABORTED on dispose()", async () => {
    const m = materialize({ url: FAKE_URL, fetch: pagedReadFetch([{ items: [ins("user", "1", 1)] }]), live: false })
    const waiting = m.awaitTxid("never")
    await m.dispose()
    await expect(waiting).rejects.toMatchObject({ code: "ABORTED" })
  })

  it("for a change inside a snapshot, resolves only once the snapshot has ended and the change is visible", async () => {
    const fetch = pagedReadFetch([
      { items: [control("snapshot-start"), ins("user", "1", 1, "tx-held")] },
      { items: [ins("user", "2", 2, "tx-held-2")] },
      { items: [control("snapshot-end"), ins("user", "3", 3, "tx-after")] },
    ])
    const m = materialize({ url: FAKE_URL, fetch, live: false })
    const visibleWhenResolved: Record<string, boolean> = {}
    const waits = [
      ["tx-held", "1"],
      ["tx-held-2", "2"],
      ["tx-after", "3"],
    ].map(([txid, key]) =>
      m.awaitTxid(txid!).then(() => {
        visibleWhenResolved[txid!] = m.state.has("user", key!)
      })
    )
    await m.done
    await Promise.all(waits)
    expect(visibleWhenResolved).toEqual({ "tx-held": true, "tx-held-2": true, "tx-after": true })
  })

  it("for a change held in a checkpointed snapshot, resolves after a restart reads the snapshot's end", async () => {
    const storage = memoryStorage()
    const pages: FakePage[] = [{ items: [control("snapshot-start"), ins("user", "1", 1, "tx-held")] }]
    const first = materialize({ url: FAKE_URL, fetch: pagedReadFetch(pages), live: false, storage })
    await first.done
    expect(first.state.inSnapshot).toBe(true)
    pages.push({ items: [control("snapshot-end")] })
    const second = materialize({ url: FAKE_URL, fetch: pagedReadFetch(pages), live: false, storage })
    let visible: boolean | undefined
    const waiting = second.awaitTxid("tx-held").then(() => {
      visible = second.state.has("user", "1")
    })
    await second.done
    await waiting
    expect(second.startOffset).toBe("00000001")
    expect(visible).toBe(true)
  })

  it("for a change dropped by a reset inside its snapshot, does not resolve", async () => {
    const fetch = pagedReadFetch([
      { items: [control("snapshot-start"), ins("user", "1", 1, "tx-dropped")] },
      { items: [control("reset"), ins("user", "2", 2, "tx-kept")] },
    ])
    const m = materialize({ url: FAKE_URL, fetch, live: false })
    const dropped = m.awaitTxid("tx-dropped")
    await m.done
    await expect(m.awaitTxid("tx-kept")).resolves.toBeUndefined()
    await expect(dropped).rejects.toMatchObject({ code: "ABORTED" })
  })

  it("rejects with ABORTED when its signal aborts", async () => {
    const m = materialize({ url: FAKE_URL, fetch: pagedReadFetch([{ items: [ins("user", "1", 1)] }]), live: false })
    const controller = new AbortController()
    const waiting = m.awaitTxid("never", { signal: controller.signal })
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ code: "ABORTED" })
    await m.dispose()
  })
})
