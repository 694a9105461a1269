import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { createStreamDB, DurableStreamError, JsonStream, memoryStorage, type CheckpointStorage } from "../../src/index"
import { controlOf } from "../../src/collection-contract"
import { createStream, schema, until, useClosedAfterEach } from "../support/db"
import { control } from "../support/messages"
import type { Todo } from "../support/schemas"

const server = useReferenceServer({ longPollTimeoutMs: 100 })
const opened = useClosedAfterEach()

const row = (id: string, fields: Partial<Todo> = {}): Todo => ({ id, text: `todo ${id}`, done: false, rank: 0, ...fields })

function openDB(url: string, extra: { storage?: CheckpointStorage } = {}) {
  const db = createStreamDB({
    url,
    schema,
    ...extra,
    actions: {
      addTodo: {
        optimistic: (draft, args: { id: string; text: string }) => draft.todos.insert(row(args.id, { text: args.text })),
        write: (args: { id: string; text: string }, { schema }) => schema.todos.insert({ value: row(args.id, { text: args.text }) }),
      },
      finish: {
        optimistic: (draft, args: { id: string }) => draft.todos.update(args.id, (todo) => ({ ...todo, done: true })),
        write: (args: { id: string }, { schema }) => schema.todos.update({ value: row(args.id, { done: true }) }),
      },
      rename: {
        write: (args: { id: string; name: string }, { schema }) => schema.users.insert({ value: { id: args.id, name: args.name } }),
      },
    },
  })
  opened.push(db)
  return db
}

describe("two StreamDBs on one stream", () => {
  it("each sees the other's confirmed actions in its collections and queries", async () => {
    const url = server.streamUrl()
    await createStream(url)
    const a = openDB(url)
    const b = openDB(url)
    await Promise.all([a.ready, b.ready])
    const openInB = b.collections.todos.query({ where: { done: false }, orderBy: "id" })
    const openInA = a.collections.todos.query({ where: { done: false }, orderBy: "id" })

    await a.actions.addTodo({ id: "1", text: "from A" })
    await until(() => b.collections.todos.has("1"))
    expect(b.collections.todos.get("1")).toEqual(row("1", { text: "from A" }))
    expect(openInB.current).toEqual([row("1", { text: "from A" })])

    await b.actions.addTodo({ id: "2", text: "from B" })
    await b.actions.finish({ id: "1" })
    await until(() => a.collections.todos.get("1")?.done === true && a.collections.todos.has("2"))
    expect(openInA.current).toEqual([row("2", { text: "from B" })])
    expect(openInB.current).toEqual([row("2", { text: "from B" })])
    expect(a.collections.todos.toArray()).toEqual(b.collections.todos.toArray())

    await a.actions.rename({ id: "u1", name: "Ada" })
    await until(() => b.collections.users.has("u1"))
    expect(b.collections.users.get("u1")).toEqual({ id: "u1", name: "Ada" })
    expect(b.collections.todos.size).toBe(2)
  })

  it("concurrent actions from both settle on both sides in the same stream order", async () => {
    const url = server.streamUrl()
    await createStream(url)
    const a = openDB(url)
    const b = openDB(url)
    await Promise.all([a.ready, b.ready])
    await Promise.all([
      ...["a1", "a2", "a3"].map((id) => a.actions.addTodo({ id, text: id })),
      ...["b1", "b2", "b3"].map((id) => b.actions.addTodo({ id, text: id })),
    ])
    await until(() => a.collections.todos.size === 6 && b.collections.todos.size === 6)
    await until(() => controlOf(a.collections.todos).overrideCount() === 0 && controlOf(b.collections.todos).overrideCount() === 0)
    expect(a.collections.todos.toArray()).toEqual(b.collections.todos.toArray())
  })
})

describe("a rejected write", () => {
  it("fails with STREAM_CLOSED when the stream was closed, and the optimistic change rolls back", async () => {
    const url = server.streamUrl()
    await createStream(url, [schema.todos.insert({ value: row("a") })])
    const db = openDB(url)
    await db.ready
    await new JsonStream({ url }).close()
    const values: Array<Todo | undefined> = []
    db.collections.todos.watch("x").subscribe((todo) => values.push(todo))

    const pending = db.actions.addTodo({ id: "x", text: "too late" })
    expect(db.collections.todos.has("x")).toBe(true)
    const error = await pending.then(
      () => undefined,
      (failure: unknown) => failure
    )
    expect(error).toBeInstanceOf(DurableStreamError)
    expect((error as DurableStreamError).code).toBe("STREAM_CLOSED")
    expect(db.collections.todos.has("x")).toBe(false)
    expect(db.collections.todos.toArray()).toEqual([row("a")])
    expect(values).toEqual([undefined, row("x", { text: "too late" }), undefined])
  })
})

describe("persistence", () => {
  it("a new DB with the same storage restores the rows and reads only what came after", async () => {
    const url = server.streamUrl()
    await createStream(url)
    const storage = memoryStorage()
    const first = openDB(url, { storage })
    await first.ready
    expect(first.materializer.startOffset).toBe("-1")
    await first.actions.addTodo({ id: "1", text: "one" })
    await first.actions.addTodo({ id: "2", text: "two" })
    await first.dispose()
    const savedOffset = first.materializer.offset

    const writer = new JsonStream({ url })
    await writer.append(schema.todos.insert({ value: row("3", { text: "three" }) }))
    await writer.append(schema.todos.update({ value: row("1", { text: "one", done: true }) }))

    const second = openDB(url, { storage })
    await second.ready
    expect(second.materializer.startOffset).toBe(savedOffset)
    expect(second.materializer.startOffset).not.toBe("-1")
    expect(second.materializer.messagesApplied).toBe(2)
    expect(second.collections.todos.toArray()).toEqual([
      row("1", { text: "one", done: true }),
      row("2", { text: "two" }),
      row("3", { text: "three" }),
    ])
    expect(second.collections.todos.query({ where: { done: false } }).current.map((todo) => todo.id)).toEqual(["2", "3"])
    // The restored view is live and writable like any other.
    await second.actions.addTodo({ id: "4", text: "four" })
    expect(second.collections.todos.size).toBe(4)
  })

  it("without storage a new DB reads the whole stream", async () => {
    const url = server.streamUrl()
    await createStream(url, [schema.todos.insert({ value: row("1") }), schema.todos.insert({ value: row("2") })])
    const first = openDB(url)
    await first.ready
    await first.dispose()
    const second = openDB(url)
    await second.ready
    expect(second.materializer.startOffset).toBe("-1")
    expect(second.materializer.messagesApplied).toBe(2)
    expect(second.collections.todos.size).toBe(2)
  })
})

describe("stream control messages", () => {
  it("a reset on the stream empties collections and queries, and later rows fill them again", async () => {
    const url = server.streamUrl()
    await createStream(url, [schema.todos.insert({ value: row("1") }), schema.todos.insert({ value: row("2") })])
    const db = openDB(url)
    await db.ready
    const query = db.collections.todos.query({ orderBy: "id" })
    const results: string[][] = []
    query.subscribe((rows) => results.push(rows.map((todo) => todo.id)))
    const writer = new JsonStream({ url })
    await writer.append(control("reset"))
    await until(() => db.collections.todos.size === 0)
    expect(query.current).toEqual([])
    await writer.append(schema.todos.insert({ value: row("3") }))
    await until(() => db.collections.todos.has("3"))
    expect(results).toEqual([["1", "2"], [], ["3"]])
  })
})

describe("a caller's function that throws", () => {
  it("in a where predicate or a subscriber stops neither the live query nor the StreamDB", async () => {
    const url = server.streamUrl()
    await createStream(url)
    const reported: DurableStreamError[] = []
    const db = createStreamDB({ url, schema, onCallbackError: (error) => reported.push(error) })
    opened.push(db)
    const writer = openDB(url)
    await Promise.all([db.ready, writer.ready])

    const fragile = db.collections.todos.query({
      where: (todo) => {
        if (todo.text === "poison") throw new Error("where bug")
        return !todo.done
      },
      orderBy: "id",
    })
    const seen: string[][] = []
    fragile.subscribe((rows) => seen.push(rows.map((todo) => todo.id)))
    db.materializer.subscribe(() => {
      throw new Error("subscriber bug")
    })

    await writer.actions.addTodo({ id: "1", text: "poison" })
    await writer.actions.addTodo({ id: "2", text: "fine" })
    await until(() => db.collections.todos.has("2"))
    expect(seen.at(-1)).toEqual(["2"])
    expect(db.status).not.toBe("error")
    expect(reported.some((error) => error.message.includes("where predicate"))).toBe(true)
    expect(reported.some((error) => error.message.includes("a change subscriber"))).toBe(true)
    for (const error of reported) expect(error).toMatchObject({ code: "CALLBACK_FAILED", url })

    // Later changes still arrive.
    await writer.actions.finish({ id: "2" })
    await until(() => db.collections.todos.get("2")?.done === true)
    expect(seen.at(-1)).toEqual([])
  })
})
