import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import {
  createStreamDB,
  DurableStreamError,
  JsonStream,
  type ActionDefinitions,
  type StreamDB,
} from "../../src/index"
import { activeTimers, createStream, deferred, delay, schema, trackTimers, until, useClosedAfterEach } from "../support/db"
import { controlOf } from "../../src/collection-contract"
import { record } from "../support/harness"
import type { Todo } from "../support/schemas"

type Schema = typeof schema

const server = useReferenceServer({ longPollTimeoutMs: 100 })
const opened = useClosedAfterEach()

/** A fresh stream, optionally seeded with confirmed todos, and a caught-up StreamDB on it. */
async function open<A extends ActionDefinitions<Schema>>(actions: A, seed: Todo[] = [], extra: { actionTimeoutMs?: number } = {}) {
  const url = server.streamUrl()
  await createStream(url, seed.map((value) => schema.todos.insert({ value })))
  const db = createStreamDB({ url, schema, actions, ...extra })
  opened.push(db)
  await db.ready
  return db
}

const row = (id: string, fields: Partial<Todo> = {}): Todo => ({ id, text: `todo ${id}`, done: false, rank: 0, ...fields })

describe("confirm", () => {
  it("shows the optimistic row at once, resolves on the echo, and swaps in the confirmed row without a gap", async () => {
    const db = await open({
      addTodo: {
        optimistic: (draft, args: { id: string; text: string }) => draft.todos.insert(row(args.id, { text: args.text, rank: -1 })),
        // The server's version differs (rank), so the swap is observable.
        write: (args: { id: string; text: string }, { schema }) => schema.todos.insert({ value: row(args.id, { text: args.text, rank: 7 }) }),
      },
    })
    const todos = db.collections.todos
    const rowValues = record(todos.watch("t1")).values
    const arrays = record(todos).values
    const query = todos.query({ where: { done: false }, orderBy: "rank" })
    const results = record(query).values
    const echoed: Array<string | undefined> = []
    db.materializer.subscribe((changes) => echoed.push(...changes.map((change) => change.txid)))

    const pending = db.actions.addTodo({ id: "t1", text: "buy milk" })
    // Synchronously visible everywhere.
    expect(todos.get("t1")).toEqual(row("t1", { text: "buy milk", rank: -1 }))
    expect(todos.size).toBe(1)
    expect(query.current).toEqual([row("t1", { text: "buy milk", rank: -1 })])
    expect(db.materializer.state.get("todo", "t1")).toBeUndefined()

    let confirmedAtResolve: unknown
    const result = await pending.then((value) => {
      confirmedAtResolve = db.materializer.state.get("todo", "t1")
      return value
    })
    const confirmed = row("t1", { text: "buy milk", rank: 7 })
    expect(confirmedAtResolve).toEqual(confirmed)
    expect(echoed).toContain(result.txid)
    expect(todos.get("t1")).toEqual(confirmed)
    expect(todos.get("t1")).toBe(db.materializer.state.get("todo", "t1"))
    expect(controlOf(todos).overrideCount()).toBe(0)

    expect(rowValues).toEqual([undefined, row("t1", { text: "buy milk", rank: -1 }), confirmed])
    // Every snapshot after the first holds the row: it never went missing in between.
    expect(arrays.length).toBeGreaterThanOrEqual(3)
    for (const array of arrays.slice(1)) expect(array.map((todo) => todo.id)).toEqual(["t1"])
    expect(arrays.at(-1)).toEqual([confirmed])
    for (const result of results.slice(1)) expect(result.map((todo) => todo.id)).toEqual(["t1"])
    expect(results.at(-1)).toEqual([confirmed])
  })

  it("an action without optimistic still resolves on its echo", async () => {
    const db = await open({
      addTodo: { write: (args: { id: string }, { schema }) => schema.todos.insert({ value: row(args.id) }) },
    })
    const pending = db.actions.addTodo({ id: "a" })
    expect(db.collections.todos.has("a")).toBe(false)
    await pending
    expect(db.collections.todos.get("a")).toEqual(row("a"))
  })

  it("updates and deletes of confirmed rows show at once and settle on the echo", async () => {
    const db = await open(
      {
        finish: {
          optimistic: (draft, args: { id: string }) => draft.todos.update(args.id, (todo) => ({ ...todo, done: true })),
          write: (args: { id: string }, { schema }) => schema.todos.update({ value: row(args.id, { done: true }) }),
        },
        remove: {
          optimistic: (draft, args: { id: string }) => draft.todos.delete(args.id),
          write: (args: { id: string }, { schema }) => schema.todos.delete({ key: args.id }),
        },
      },
      [row("a"), row("b")]
    )
    const todos = db.collections.todos
    const open_ = todos.query({ where: { done: false } })
    const finishing = db.actions.finish({ id: "a" })
    const removing = db.actions.remove({ id: "b" })
    expect(todos.get("a")).toEqual(row("a", { done: true }))
    expect(todos.has("b")).toBe(false)
    expect(todos.size).toBe(1)
    expect(open_.current).toEqual([])
    await Promise.all([finishing, removing])
    expect(todos.toArray()).toEqual([row("a", { done: true })])
    expect(db.materializer.state.has("todo", "b")).toBe(false)
    expect(controlOf(todos).overrideCount()).toBe(0)
  })

  it("a write may go elsewhere and return nothing: the action settles when something stamped with its txid arrives", async () => {
    const db = await open({
      addTodo: {
        optimistic: (draft, args: { id: string }) => draft.todos.insert(row(args.id, { text: "optimistic" })),
        write: async (args: { id: string }, { txid, schema }) => {
          // E.g. a server endpoint that appends the change itself.
          await delay(20)
          await fetch(db.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify([schema.todos.insert({ value: row(args.id, { text: "from server" }), txid })]),
          })
        },
      },
    })
    const values = record(db.collections.todos.watch("s")).values
    await db.actions.addTodo({ id: "s" })
    expect(db.collections.todos.get("s")).toEqual(row("s", { text: "from server" }))
    expect(values).toEqual([undefined, row("s", { text: "optimistic" }), row("s", { text: "from server" })])
  })
})

describe("rollback", () => {
  const boom = new Error("write refused")
  const failingWrites = {
    "throws asynchronously": async () => {
      await delay(10)
      throw boom
    },
    "returns a rejected promise": () => Promise.reject(boom),
    "throws synchronously": () => {
      throw boom
    },
  }

  for (const [how, write] of Object.entries(failingWrites)) {
    it(`rolls back an insert when the write ${how}`, async () => {
      const db = await open({
        addTodo: {
          optimistic: (draft, args: { id: string }) => draft.todos.insert(row(args.id)),
          write: (_args: { id: string }) => write(),
        },
      })
      const todos = db.collections.todos
      const values = record(todos.watch("x")).values
      const arrays = record(todos).values
      const pending = db.actions.addTodo({ id: "x" })
      // A write that throws synchronously rolls back before the call even returns.
      if (how !== "throws synchronously") expect(todos.get("x")).toEqual(row("x"))
      await expect(pending).rejects.toBe(boom)
      expect(todos.get("x")).toBeUndefined()
      expect(todos.size).toBe(0)
      expect(controlOf(todos).overrideCount()).toBe(0)
      expect(values).toEqual([undefined, row("x"), undefined])
      expect(arrays.map((array) => array.length)).toEqual([0, 1, 0])
    })
  }

  it("restores the very same confirmed objects after a failed update and delete", async () => {
    const db = await open(
      {
        rename: {
          optimistic: (draft, args: { id: string; text: string }) => draft.todos.update(args.id, (todo) => ({ ...todo, text: args.text })),
          write: async (_args: { id: string; text: string }) => {
            throw boom
          },
        },
        remove: {
          optimistic: (draft, args: { id: string }) => draft.todos.delete(args.id),
          write: async (_args: { id: string }) => {
            await delay(5)
            throw boom
          },
        },
      },
      [row("a"), row("b"), row("c")]
    )
    const todos = db.collections.todos
    const before = todos.toArray()
    const query = todos.query({ orderBy: "id" })
    const queryBefore = query.current
    const renaming = db.actions.rename({ id: "a", text: "renamed" })
    const removing = db.actions.remove({ id: "b" })
    expect(query.current.map((todo) => todo.text)).toEqual(["renamed", "todo c"])
    await expect(renaming).rejects.toBe(boom)
    await expect(removing).rejects.toBe(boom)
    expect(todos.toArray()).toEqual(before)
    for (let i = 0; i < before.length; i++) expect(todos.toArray()[i]).toBe(before[i])
    for (let i = 0; i < queryBefore.length; i++) expect(query.current[i]).toBe(queryBefore[i])
  })

  it("rolls back with TIMEOUT when the echo never arrives within timeoutMs", async () => {
    const db = await open({
      addTodo: {
        optimistic: (draft, args: { id: string }) => draft.todos.insert(row(args.id)),
        write: (_args: { id: string }) => undefined,
        timeoutMs: 60,
      },
    })
    const todos = db.collections.todos
    const values = record(todos.watch("x")).values
    const started = Date.now()
    const pending = db.actions.addTodo({ id: "x" })
    expect(todos.has("x")).toBe(true)
    const error = await pending.then(
      () => undefined,
      (failure: unknown) => failure
    )
    expect(error).toBeInstanceOf(DurableStreamError)
    expect((error as DurableStreamError).code).toBe("TIMEOUT")
    expect(Date.now() - started).toBeGreaterThanOrEqual(55)
    expect(todos.has("x")).toBe(false)
    expect(values).toEqual([undefined, row("x"), undefined])
  })

  it("uses the DB's actionTimeoutMs when the action sets none", async () => {
    const db = await open(
      {
        addTodo: {
          optimistic: (draft, args: { id: string }) => draft.todos.insert(row(args.id)),
          write: (_args: { id: string }) => undefined,
        },
      },
      [],
      { actionTimeoutMs: 40 }
    )
    await expect(db.actions.addTodo({ id: "x" })).rejects.toMatchObject({ code: "TIMEOUT" })
    expect(db.collections.todos.has("x")).toBe(false)
  })

  it("a write the schema refuses is never sent, and the optimistic change rolls back", async () => {
    const db = await open({
      addTodo: {
        optimistic: (draft, args: { id: string }) => draft.todos.insert(row(args.id)),
        // Bypasses the typed builder to send a value the todo schema rejects.
        write: (args: { id: string }) => ({ type: "todo", key: args.id, value: { id: args.id }, headers: { operation: "insert" as const } }),
      },
    })
    const pending = db.actions.addTodo({ id: "bad" })
    expect(db.collections.todos.has("bad")).toBe(true)
    await expect(pending).rejects.toThrow(/todo schema/)
    expect(db.collections.todos.has("bad")).toBe(false)
    // Nothing reached the stream: a fresh reader finds it empty.
    const reader = createStreamDB({ url: db.url, schema, live: false })
    opened.push(reader)
    await reader.ready
    expect(reader.materializer.messagesApplied).toBe(0)
  })

  it("an optimistic row without a valid primary key rejects the action before anything shows", async () => {
    const db = await open({
      addTodo: {
        optimistic: (draft, args: { id: string }) => draft.todos.insert(row(args.id)),
        write: (args: { id: string }, { schema }) => schema.todos.insert({ value: row(args.id) }),
      },
    })
    const values = record(db.collections.todos).values
    await expect(db.actions.addTodo({ id: "" })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" })
    expect(values).toHaveLength(1)
    expect(db.collections.todos.size).toBe(0)
  })

  it("an optimistic function that throws rejects the action and changes nothing", async () => {
    const db = await open(
      {
        broken: {
          optimistic: (draft, args: { id: string }) => {
            draft.todos.insert(row(args.id))
            throw new Error("bad optimistic")
          },
          write: (args: { id: string }, { schema }) => schema.todos.insert({ value: row(args.id) }),
        },
      },
      [row("a")]
    )
    const values = record(db.collections.todos).values
    await expect(db.actions.broken({ id: "x" })).rejects.toThrow("bad optimistic")
    expect(db.collections.todos.has("x")).toBe(false)
    expect(values).toHaveLength(1)
  })
})

describe("interleaved actions on one row", () => {
  // Row x starts confirmed as ("a", not done). `rename` changes the text and
  // will be refused; `finish` sets done and will be confirmed. Both are
  // pending at once, rename first.
  type Label = "a/false" | "new/false" | "new/true" | "a/true"
  const label = (todo: Todo | undefined): string => (todo ? `${todo.text}/${String(todo.done)}` : "missing")
  // The only order in which the visible row may move.
  const chain: Label[] = ["a/false", "new/false", "new/true", "a/true"]

  async function setup() {
    const refuse = deferred()
    const accept = deferred()
    const refused = new Error("rename refused")
    const drafts: Array<Todo | undefined> = []
    const db = await open(
      {
        rename: {
          optimistic: (draft, args: { id: string; text: string }) => draft.todos.update(args.id, (todo) => ({ ...todo, text: args.text })),
          write: async (_args: { id: string; text: string }) => {
            await refuse.promise
            throw refused
          },
        },
        finish: {
          optimistic: (draft, args: { id: string }) => draft.todos.update(args.id, (todo) => ({ ...todo, done: true })),
          // The server applies only this action, to the row it has.
          write: async (args: { id: string }, { schema }) => {
            await accept.promise
            return schema.todos.update({ value: row(args.id, { text: "a", done: true }) })
          },
        },
        // Reads its draft and gives up at once; used to see what later layers are laid over.
        peek: {
          optimistic: (draft, args: { id: string }) => void drafts.push(draft.todos.get(args.id)),
          write: (_args: { id: string }) => undefined,
          timeoutMs: 1,
        },
      },
      [row("x", { text: "a" })]
    )
    const todos = db.collections.todos
    // Every snapshot any listener saw, in order, plus samples taken as each action settles.
    const seen: string[] = []
    const watched = todos.watch("x")
    watched.subscribe((todo) => seen.push(label(todo)))
    todos.subscribe((rows) => seen.push(label(rows.find((todo) => todo.id === "x"))))
    const query = todos.query({ where: (todo) => todo.id === "x" })
    query.subscribe((rows) => seen.push(label(rows[0])))
    const sample = (): string => {
      const now = label(todos.get("x"))
      seen.push(now)
      return now
    }
    const renaming = db.actions.rename({ id: "x", text: "new" })
    expect(sample()).toBe("new/false")
    const finishing = db.actions.finish({ id: "x" })
    expect(sample()).toBe("new/true")
    return { db, refuse, accept, refused, renaming, finishing, seen, sample, drafts }
  }

  function expectAlongChain(seen: string[]): void {
    let at = 0
    for (const state of seen) {
      const index = chain.indexOf(state as Label)
      expect(index, `unexpected state ${state} in ${seen.join(" → ")}`).toBeGreaterThanOrEqual(0)
      expect(index, `went back to ${state} in ${seen.join(" → ")}`).toBeGreaterThanOrEqual(at)
      at = index
    }
  }

  it("the first rolls back, then the second confirms: the rolled-back change is gone at once", async () => {
    const { db, refuse, accept, refused, renaming, finishing, seen, sample } = await setup()
    refuse.resolve()
    await expect(renaming).rejects.toBe(refused)
    const afterRollback = seen.length
    // Only `finish` is pending now: its change alone, laid over the confirmed row.
    expect(sample()).toBe("a/true")
    accept.resolve()
    await finishing
    expect(sample()).toBe("a/true")
    expect(db.collections.todos.get("x")).toBe(db.materializer.state.get("todo", "x"))
    expect(controlOf(db.collections.todos).overrideCount()).toBe(0)
    for (const state of seen.slice(afterRollback)) expect(state).toBe("a/true")
    expectAlongChain(seen)
  })

  it("the second confirms, then the first rolls back: the confirmed change never disappears", async () => {
    const { db, refuse, accept, refused, renaming, finishing, seen, sample } = await setup()
    accept.resolve()
    await finishing
    const afterConfirm = seen.length
    // `rename` is still pending, now laid over the confirmed (done) row.
    expect(sample()).toBe("new/true")
    refuse.resolve()
    await expect(renaming).rejects.toBe(refused)
    const afterRollback = seen.length
    expect(sample()).toBe("a/true")
    for (const state of seen.slice(afterConfirm)) expect(state.endsWith("/true"), `lost done in ${seen.join(" → ")}`).toBe(true)
    for (const state of seen.slice(afterRollback)) expect(state).toBe("a/true")
    expect(db.collections.todos.get("x")).toBe(db.materializer.state.get("todo", "x"))
    expectAlongChain(seen)
  })

  it("a pending update is re-applied over a row another writer changed meanwhile", async () => {
    const { db, refuse, accept, refused, renaming, finishing, seen } = await setup()
    const before = seen.length
    // Someone else changes the rank of x; both pending changes stay laid over it.
    await new JsonStream({ url: db.url }).append(schema.todos.update({ value: row("x", { text: "a", rank: 9 }) }))
    await until(() => db.materializer.state.get<Todo>("todo", "x")?.rank === 9)
    expect(db.collections.todos.get("x")).toEqual(row("x", { text: "new", done: true, rank: 9 }))
    expect(seen.slice(before).every((state) => state === "new/true")).toBe(true)
    refuse.resolve()
    await expect(renaming).rejects.toBe(refused)
    expect(db.collections.todos.get("x")).toEqual(row("x", { text: "a", done: true, rank: 9 }))
    accept.resolve()
    await finishing
    // The server's answer to `finish` (written without the rank) is what is confirmed.
    expect(db.collections.todos.get("x")).toEqual(row("x", { text: "a", done: true }))
  })

  it("a later action's draft reads the row with the earlier pending changes applied", async () => {
    const { db, refuse, accept, renaming, finishing, drafts } = await setup()
    await expect(db.actions.peek({ id: "x" })).rejects.toMatchObject({ code: "TIMEOUT" })
    expect(drafts).toEqual([row("x", { text: "new", done: true })])
    refuse.resolve()
    accept.resolve()
    await Promise.allSettled([renaming, finishing])
  })
})

describe("close", () => {
  it("releases listeners and timers, rejects pending actions, and refuses new ones", async () => {
    // Let the server answer long-polls of earlier tests' (closed) DBs first.
    await delay(150)
    const timers = trackTimers()
    const baseline = activeTimers()
    try {
      const url = server.streamUrl()
      await createStream(url)
      const db = createStreamDB({
        url,
        schema,
        actions: {
          addTodo: {
            optimistic: (draft, args: { id: string }) => draft.todos.insert(row(args.id)),
            write: (args: { id: string }, { schema }) => schema.todos.insert({ value: row(args.id) }),
          },
          hang: {
            optimistic: (draft, args: { id: string }) => draft.todos.insert(row(args.id)),
            write: (_args: { id: string }) => undefined,
          },
        },
      })
      await db.ready
      const todos = db.collections.todos
      await db.actions.addTodo({ id: "a" })
      const calls = { array: 0, query: 0, row: 0, keys: 0 }
      todos.subscribe(() => calls.array++)
      todos.query({ orderBy: "id" }).subscribe(() => calls.query++)
      todos.watch("b").subscribe(() => calls.row++)
      todos.onKeysChanged(() => calls.keys++)
      // Pending with the default 30 s timeout when close() is called.
      const hanging = db.actions.hang({ id: "h" })
      expect(todos.has("h")).toBe(true)
      // Its echo timeout is armed once the (empty) write has returned.
      await until(() => timers.clientTimers().length > 0)

      await db.dispose()
      expect(db.status).toBe("closed")
      await expect(hanging).rejects.toMatchObject({ code: "ABORTED" })
      expect(todos.has("h")).toBe(false)
      const after = { ...calls }

      await expect(db.actions.addTodo({ id: "b" })).rejects.toMatchObject({ code: "ABORTED" })
      expect(todos.has("b")).toBe(false)
      // Another writer keeps writing; the closed DB neither reads nor notifies.
      const other = createStreamDB({
        url,
        schema,
        actions: { addTodo: { write: (args: { id: string }, { schema }) => schema.todos.insert({ value: row(args.id) }) } },
      })
      await other.ready
      await other.actions.addTodo({ id: "b" })
      await other.dispose()
      await delay(50)
      expect(calls).toEqual(after)
      expect(todos.has("b")).toBe(false)

      expect(timers.clientTimers()).toEqual([])
      // The in-process server may still hold a long-poll for up to its 100 ms timeout.
      await until(() => activeTimers() <= baseline, 2_000)
      expect(activeTimers()).toBeLessThanOrEqual(baseline)
    } finally {
      timers.stop()
    }
  })

  it("dispose is idempotent and an aborted signal disposes of the DB", async () => {
    const url = server.streamUrl()
    await createStream(url)
    const controller = new AbortController()
    const db = createStreamDB({ url, schema, signal: controller.signal })
    await db.ready
    controller.abort()
    await until(() => db.status === "closed")
    await db.dispose()
    await db.dispose()
    expect(db.status).toBe("closed")
  })

  it("close(), the deprecated alias, disposes of the DB like dispose()", async () => {
    const url = server.streamUrl()
    await createStream(url)
    const db = createStreamDB({ url, schema })
    await db.ready
    await db.close()
    expect(db.status).toBe("closed")
  })
})

describe("an action that writes nothing", () => {
  it("resolves at once when write returns an empty list, and drops its optimistic change", async () => {
    const db = await open({
      preview: {
        optimistic: (draft, args: { id: string }) => draft.todos.insert(row(args.id)),
        write: () => [],
      },
    })
    const pending = db.actions.preview({ id: "p1" })
    expect(db.collections.todos.has("p1")).toBe(true)
    await expect(pending).resolves.toMatchObject({ txid: expect.any(String) })
    expect(db.collections.todos.has("p1")).toBe(false)
  })
})
