import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import {
  DurableStreamError,
  JsonStream,
  StateMessageError,
  StateWriter,
  createStateSchema,
  materialize,
  memoryStorage,
  type Change,
  type ChangeMessage,
  type Materializer,
  type StateSnapshot,
} from "../../src/index"
import { objectSchema } from "../support/schemas"

const ref = useReferenceServer()

const schema = createStateSchema({
  users: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string", name: "string" }) },
  todos: { type: "todo", primaryKey: "id", schema: objectSchema({ id: "string", title: "string", done: "boolean" }) },
  tags: { type: "tag", primaryKey: "id", schema: objectSchema({ id: "string", label: "string" }) },
})

const WAIT = { timeoutMs: 10_000 }

async function newStream(): Promise<JsonStream> {
  return JsonStream.create({ url: ref.streamUrl() })
}

/** A deterministic pseudo-random source, so a failing workload can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/**
 * A mixed workload over three entity types, as writes of 1–4 changes each.
 * Also returns the expected final state, computed independently.
 */
function workload(seed: number, writes: number): { batches: ChangeMessage[][]; expected: Map<string, unknown> } {
  const next = random(seed)
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const expected = new Map<string, unknown>()
  const batches: ChangeMessage[][] = []
  for (let w = 0; w < writes; w++) {
    const batch: ChangeMessage[] = []
    const size = 1 + Math.floor(next() * 4)
    for (let i = 0; i < size; i++) {
      const id = `k${Math.floor(next() * 6)}`
      const kind = pick(["users", "todos", "tags"] as const)
      const op = pick(["insert", "insert", "update", "delete"] as const)
      const type = schema[kind].type
      const slot = `${type}/${id}`
      if (op === "delete") {
        batch.push(schema[kind].delete({ key: id }))
        expected.delete(slot)
        continue
      }
      const value =
        kind === "users"
          ? { id, name: `user ${w}.${i}` }
          : kind === "todos"
            ? { id, title: `todo ${w}.${i}`, done: next() < 0.5 }
            : { id, label: `tag ${w}.${i}` }
      batch.push(op === "insert" ? schema[kind].insert({ value } as never) : schema[kind].update({ value } as never))
      expected.set(slot, value)
    }
    batches.push(batch)
  }
  return { batches, expected }
}

function flatten(m: Materializer): Map<string, unknown> {
  const out = new Map<string, unknown>()
  for (const type of m.state.types()) for (const [key, value] of m.state.entries(type)) out.set(`${type}/${key}`, value)
  return out
}

function sorted(state: Map<string, unknown>): Array<[string, unknown]> {
  return [...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length
}

/**
 * The Timeout count once it has stopped changing for longer than the reference
 * server's long-poll hold (500 ms), so timers of earlier tests have run down.
 */
async function settledTimeouts(maxMs = 4_000): Promise<number> {
  const deadline = Date.now() + maxMs
  let count = activeTimeouts()
  let stableSince = Date.now()
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    const now = activeTimeouts()
    if (now !== count) {
      count = now
      stableSince = Date.now()
    } else if (Date.now() - stableSince >= 700) {
      break
    }
  }
  return count
}

describe("a writer and live materializers on the reference server", () => {
  it("an SSE and a long-poll materializer converge to the same state after a mixed workload", async () => {
    const json = await newStream()
    const writer = new StateWriter(json, { schema })
    const sse = materialize({ url: json.url, live: "sse", schema })
    const longPoll = materialize({ url: json.url, live: "long-poll", schema })
    const seenTxids = new Set<string>()
    sse.subscribe((changes) => changes.forEach((c) => c.txid && seenTxids.add(c.txid)))
    await Promise.all([sse.ready, longPoll.ready])

    const { batches, expected } = workload(20_240_517, 40)
    const txids: string[] = []
    // Half sequentially, half pipelined through the producer without waiting in between.
    for (const batch of batches.slice(0, 20)) txids.push((await writer.write(batch)).txid)
    const pipelined = await Promise.all(batches.slice(20).map((batch) => writer.write(batch)))
    txids.push(...pipelined.map((r) => r.txid))
    expect(new Set(txids).size).toBe(txids.length)

    // The last write's echo means every earlier one has been applied as well.
    const last = txids[txids.length - 1]!
    await Promise.all([sse.awaitTxid(last, WAIT), longPoll.awaitTxid(last, WAIT)])

    expect(sorted(flatten(sse))).toEqual(sorted(expected))
    expect(sorted(flatten(longPoll))).toEqual(sorted(expected))
    expect(sse.state.toJSON()).toEqual(longPoll.state.toJSON())
    const messages = batches.reduce((n, b) => n + b.length, 0)
    expect(sse.messagesApplied).toBe(messages)
    expect(longPoll.messagesApplied).toBe(messages)
    expect(sse.offset).toBe(longPoll.offset)
    // Every write's changes came through the change feed with the writer's txid (a write of only
    // deletes of missing keys changes nothing, so it may legitimately be absent).
    for (const txid of txids) await expect(sse.awaitTxid(txid)).resolves.toBeUndefined()
    expect(seenTxids.size).toBeGreaterThan(txids.length / 2)

    // A latecomer replays the same history to the same state.
    const late = materialize({ url: json.url, live: false, schema })
    await late.done
    expect(late.state.toJSON()).toEqual(sse.state.toJSON())

    await Promise.all([sse.dispose(), longPoll.dispose(), writer.close()])
  })

  it("the change feed of a live materializer carries each write's type, key, operation, previous, value and txid", async () => {
    const json = await newStream()
    const writer = new StateWriter(json, { schema })
    const m = materialize({ url: json.url, live: "sse", schema })
    const changes: Change[] = []
    m.subscribe((batch) => changes.push(...batch))
    await m.ready

    const ada = { id: "u1", name: "Ada" }
    const first = await writer.write(schema.users.insert({ value: ada }))
    const second = await writer.write([
      schema.users.update({ value: { id: "u1", name: "Ada L." } }),
      schema.tags.insert({ value: { id: "t", label: "x" } }),
    ])
    const third = await writer.write(schema.users.delete({ key: "u1" }))
    await m.awaitTxid(third.txid, WAIT)

    expect(changes).toEqual([
      { type: "user", key: "u1", operation: "insert", previous: undefined, value: ada, txid: first.txid },
      { type: "user", key: "u1", operation: "update", previous: ada, value: { id: "u1", name: "Ada L." }, txid: second.txid },
      { type: "tag", key: "t", operation: "insert", previous: undefined, value: { id: "t", label: "x" }, txid: second.txid },
      { type: "user", key: "u1", operation: "delete", previous: { id: "u1", name: "Ada L." }, value: undefined, txid: third.txid },
    ])
    await Promise.all([m.dispose(), writer.close()])
  })

  it("a snapshot appended in several requests reaches a live reader all at once", async () => {
    const json = await newStream()
    const m = materialize({ url: json.url, live: "sse" })
    const sizes: number[] = []
    m.subscribe(() => sizes.push(m.state.size("user")))
    await m.ready

    await json.appendMany([{ type: "user", key: "0", value: "before", headers: { operation: "insert", txid: "pre" } }])
    await m.awaitTxid("pre", WAIT)
    await json.appendMany([
      { headers: { control: "snapshot-start" } },
      { type: "user", key: "1", value: 1, headers: { operation: "insert", txid: "in-snapshot" } },
    ])
    await json.appendMany([{ type: "user", key: "2", value: 2, headers: { operation: "insert" } }])
    await json.appendMany([
      { type: "user", key: "3", value: 3, headers: { operation: "insert" } },
      { headers: { control: "snapshot-end" } },
    ])
    let visible: boolean | undefined
    await m.awaitTxid("in-snapshot", WAIT).then(() => {
      visible = m.state.has("user", "3")
    })
    expect(visible).toBe(true)
    expect(sizes).toEqual([1, 4])
    await m.dispose()
  })
})

describe("checkpoints", () => {
  it("a materializer restored from a checkpoint reads only the suffix and reaches the same state as a full replay", async () => {
    const json = await newStream()
    const writer = new StateWriter(json, { schema })
    const storage = memoryStorage()
    const { batches } = workload(7, 30)
    const before = batches.slice(0, 15)
    const after = batches.slice(15)

    const first = materialize({ url: json.url, live: "long-poll", schema, storage })
    let lastTxid = ""
    for (const batch of before) lastTxid = (await writer.write(batch)).txid
    await first.awaitTxid(lastTxid, WAIT)
    await first.dispose()
    const checkpoint = (await storage.load(json.url))!
    expect(checkpoint.offset).toBe(first.offset)
    expect(checkpoint.state).toEqual(JSON.parse(JSON.stringify(first.state.toJSON())) as StateSnapshot)

    for (const batch of after) lastTxid = (await writer.write(batch)).txid
    await writer.close()

    const resumed = materialize({ url: json.url, live: false, schema, storage })
    const fresh = materialize({ url: json.url, live: false, schema })
    await Promise.all([resumed.done, fresh.done])

    expect(resumed.startOffset).toBe(checkpoint.offset)
    expect(resumed.messagesApplied).toBe(after.reduce((n, b) => n + b.length, 0))
    expect(fresh.startOffset).toBe("-1")
    expect(fresh.messagesApplied).toBe(batches.reduce((n, b) => n + b.length, 0))
    expect(resumed.state.toJSON()).toEqual(fresh.state.toJSON())
    expect(sorted(flatten(resumed))).toEqual(sorted(workload(7, 30).expected))
    await expect(resumed.awaitTxid(lastTxid)).resolves.toBeUndefined()
  })
})

describe("untrusted input on a real stream", () => {
  it("with onInvalidMessage, bad messages from another writer are reported with type, key and offset and skipped", async () => {
    const json = await newStream()
    const errors: StateMessageError[] = []
    const m = materialize({ url: json.url, live: "sse", schema, onInvalidMessage: (e) => errors.push(e) })
    await m.ready
    const writer = new StateWriter(json, { schema })
    await writer.write(schema.users.insert({ value: { id: "u1", name: "Ada" } }))
    // Written around the writer's validation, as a foreign or buggy client would.
    const tail = (await json.appendMany([
      { type: "admin", key: "root", value: {}, headers: { operation: "insert" } },
      { type: "user", key: "u2", value: { id: "u2", name: 2 }, headers: { operation: "insert" } },
    ])).offset
    const { txid } = await writer.write(schema.users.insert({ value: { id: "u3", name: "Grace" } }))
    await m.awaitTxid(txid, WAIT)

    expect(Object.keys(Object.fromEntries(m.state.entries("user")))).toEqual(["u1", "u3"])
    expect(errors.map((e) => [e.code, e.entityType, e.key])).toEqual([
      ["VALIDATION", "admin", "root"],
      ["VALIDATION", "user", "u2"],
    ])
    for (const error of errors) {
      expect(typeof error.offset).toBe("string")
      // The offset names where the bad batch starts: before the tail after it.
      expect(error.offset! < tail!).toBe(true)
      expect(error.message).toContain(error.offset!)
    }
    expect(errors[1]!.issues).toEqual([{ message: "expected string, got number", path: ["name"] }])
    await Promise.all([m.dispose(), writer.close()])
  })

  it("without onInvalidMessage, a bad message arriving live stops the materializer and fails pending waits", async () => {
    const json = await newStream()
    const m = materialize({ url: json.url, live: "long-poll", schema })
    await m.ready
    const waiting = m.awaitTxid("after-the-bad-one").catch((e: unknown) => e)
    await json.append({ type: "user", key: "u1", headers: { operation: "update" } })
    const error = await m.done.then(
      () => undefined,
      (e: unknown) => e
    )
    expect(error).toBeInstanceOf(StateMessageError)
    expect(await waiting).toBe(error)
    expect(m.status).toBe("error")
    await m.dispose()
  })
})

describe("live checkpoints", () => {
  it("a live materializer checkpoints as it goes, so a restart after a crash (no close) reads nothing twice", async () => {
    const json = await newStream()
    const writer = new StateWriter(json, { schema })
    const storage = memoryStorage()
    const live = materialize({ url: json.url, live: "sse", schema, storage, checkpointIntervalMs: 50 })
    let txid = ""
    for (const batch of workload(99, 6).batches) txid = (await writer.write(batch)).txid
    await live.awaitTxid(txid, WAIT)

    const deadline = Date.now() + 5_000
    while ((await storage.load(json.url))?.offset !== live.offset && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect((await storage.load(json.url))?.offset).toBe(live.offset)

    // The first one is still running, as after a crash nobody closed it.
    const restarted = materialize({ url: json.url, live: false, schema, storage })
    await restarted.done
    expect(restarted.startOffset).toBe(live.offset)
    expect(restarted.messagesApplied).toBe(0)
    expect(restarted.state.toJSON()).toEqual(live.state.toJSON())
    await Promise.all([live.dispose(), writer.close()])
  })
})

describe("awaitTxid, close and end of stream", () => {
  it("awaitTxid times out with a TIMEOUT error, and the materializer keeps working", async () => {
    const json = await newStream()
    const writer = new StateWriter(json, { schema })
    const m = materialize({ url: json.url, live: "sse", schema })
    await m.ready
    const started = Date.now()
    const error = await m.awaitTxid("never-written", { timeoutMs: 150 }).catch((e: unknown) => e)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(error).toBeInstanceOf(DurableStreamError)
    expect((error as DurableStreamError).code).toBe("TIMEOUT")
    expect((error as DurableStreamError).message).toContain("never-written")
    expect((error as DurableStreamError).url).toBe(json.url)

    const { txid } = await writer.write(schema.users.insert({ value: { id: "u", name: "still alive" } }))
    await m.awaitTxid(txid, WAIT)
    expect(m.state.get("user", "u")).toEqual({ id: "u", name: "still alive" })
    await Promise.all([m.dispose(), writer.close()])
  })

  it("dispose() and writer.close() leave no timers behind", async () => {
    const baseline = await settledTimeouts()
    const json = await newStream()
    const writer = new StateWriter(json, { schema, lingerMs: 20 })
    const storage = memoryStorage()
    const views = [
      materialize({ url: json.url, live: "sse", schema, storage, storageKey: "sse", checkpointIntervalMs: 60_000 }),
      materialize({ url: json.url, live: "long-poll", schema, storage, storageKey: "lp", checkpointIntervalMs: 60_000 }),
    ]
    await Promise.all(views.map((m) => m.ready))
    for (let i = 0; i < 3; i++) {
      const { txid } = await writer.write(schema.tags.insert({ value: { id: `t${i}`, label: "x" } }))
      await Promise.all(views.map((m) => m.awaitTxid(txid, { timeoutMs: 60_000 })))
    }
    // A wait still pending at close time, with its own long timer.
    const pending = views[0]!.awaitTxid("pending-at-close", { timeoutMs: 60_000 }).catch((e: unknown) => e)
    expect(activeTimeouts()).toBeGreaterThan(baseline)

    await Promise.all([...views.map((m) => m.dispose()), writer.close()])
    expect(await pending).toMatchObject({ code: "ABORTED" })
    expect((await storage.load("sse"))?.state.tables.tag).toHaveLength(3)
    expect((await storage.load("lp"))?.state.tables.tag).toHaveLength(3)

    // Only the reference server's own long-poll timers (500 ms) may still have to run down.
    expect(await settledTimeouts()).toBe(baseline)
    for (const m of views) expect(m.status).toBe("closed")
  })

  it("a stream closed by the writer ends SSE and long-poll materializers with the final state", async () => {
    const json = await newStream()
    const writer = new StateWriter(json, { schema })
    const sse = materialize({ url: json.url, live: "sse", schema })
    const longPoll = materialize({ url: json.url, live: "long-poll", schema })
    await Promise.all([sse.ready, longPoll.ready])
    const waitingForever = sse.awaitTxid("never-written").catch((e: unknown) => e)

    await writer.write([
      schema.todos.insert({ value: { id: "a", title: "A", done: false } }),
      schema.todos.insert({ value: { id: "b", title: "B", done: false } }),
    ])
    await writer.write(schema.todos.update({ value: { id: "a", title: "A", done: true } }))
    await writer.write(schema.todos.delete({ key: "b" }))
    await writer.close()

    await Promise.all([sse.done, longPoll.done])
    for (const m of [sse, longPoll]) {
      expect(Object.fromEntries(m.state.entries("todo"))).toEqual({ a: { id: "a", title: "A", done: true } })
      expect(m.state.types()).toEqual(["todo"])
      expect(m.caughtUp).toBe(true)
      expect(m.status).toBe("closed")
    }
    expect(sse.offset).toBe(longPoll.offset)
    expect(await waitingForever).toMatchObject({ code: "ABORTED" })
  })
})
