import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { Collection } from "../../src/collection"
import { DELETED, controlOf } from "../../src/collection-contract"
import { MaterializedState, type QueryOptions } from "../../src/index"
import { harness, record, todo } from "../support/harness"
import { control, del, ins, upd } from "../support/messages"
import type { Todo } from "../support/schemas"

const ids = (rows: readonly Todo[]): string[] => rows.map((row) => row.id)

describe("where", () => {
  it("as a predicate keeps the rows it accepts", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a", { rank: 1 })), ins("todo", "b", todo("b", { rank: 5 })), ins("todo", "c", todo("c", { rank: 9 })))
    const query = todos.query({ where: (row) => row.rank > 3 })
    expect(ids(query.current)).toEqual(["b", "c"])
  })

  it("as a partial object keeps rows whose listed fields are all equal", () => {
    const { todos, apply } = harness()
    apply(
      ins("todo", "a", todo("a", { done: false, rank: 1 })),
      ins("todo", "b", todo("b", { done: true, rank: 1 })),
      ins("todo", "c", todo("c", { done: false, rank: 2 }))
    )
    expect(ids(todos.query({ where: { done: false } }).current)).toEqual(["a", "c"])
    expect(ids(todos.query({ where: { done: false, rank: 1 } }).current)).toEqual(["a"])
    expect(ids(todos.query({ where: {} }).current)).toEqual(["a", "b", "c"])
  })

  it("without where, keeps every row in collection order", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "b", todo("b")), ins("todo", "a", todo("a")))
    expect(ids(todos.query().current)).toEqual(["b", "a"])
  })
})

describe("orderBy and limit", () => {
  function ranked() {
    const h = harness()
    h.apply(
      ins("todo", "a", todo("a", { rank: 3, text: "pear", done: true })),
      ins("todo", "b", todo("b", { rank: 1, text: "apple", done: false })),
      ins("todo", "c", todo("c", { rank: 2, text: "fig", done: true })),
      ins("todo", "d", todo("d", { rank: 4, text: "banana", done: false }))
    )
    return h
  }

  it("a field name sorts ascending", () => {
    const { todos } = ranked()
    expect(ids(todos.query({ orderBy: "rank" }).current)).toEqual(["b", "c", "a", "d"])
    expect(ids(todos.query({ orderBy: "text" }).current)).toEqual(["b", "d", "c", "a"])
  })

  it("{ field: 'desc' } sorts descending", () => {
    const { todos } = ranked()
    expect(ids(todos.query({ orderBy: { rank: "desc" } }).current)).toEqual(["d", "a", "c", "b"])
  })

  it("several fields sort by the first, then the next", () => {
    const { todos } = ranked()
    // false before true, then rank descending within each group.
    expect(ids(todos.query({ orderBy: { done: "asc", rank: "desc" } }).current)).toEqual(["d", "b", "a", "c"])
    expect(ids(todos.query({ orderBy: { done: "desc", rank: "asc" } }).current)).toEqual(["c", "a", "b", "d"])
  })

  it("a comparator function sorts by its result", () => {
    const { todos } = ranked()
    const byTextLength = (x: Todo, y: Todo) => x.text.length - y.text.length || (x.text < y.text ? -1 : 1)
    expect(ids(todos.query({ orderBy: byTextLength }).current)).toEqual(["c", "a", "b", "d"])
  })

  it("limit keeps the first N after ordering and filtering", () => {
    const { todos } = ranked()
    expect(ids(todos.query({ orderBy: "rank", limit: 2 }).current)).toEqual(["b", "c"])
    expect(ids(todos.query({ where: { done: true }, orderBy: { rank: "desc" }, limit: 1 }).current)).toEqual(["a"])
    expect(todos.query({ orderBy: "rank", limit: 0 }).current).toEqual([])
    expect(ids(todos.query({ orderBy: "rank", limit: 10 }).current)).toEqual(["b", "c", "a", "d"])
  })

  it("limit without orderBy keeps the first N in collection order", () => {
    const { todos, apply } = ranked()
    const query = todos.query({ limit: 2 })
    expect(ids(query.current)).toEqual(["a", "b"])
    apply(del("todo", "a"))
    expect(ids(query.current)).toEqual(["b", "c"])
    apply(ins("todo", "e", todo("e")))
    expect(ids(query.current)).toEqual(["b", "c"])
  })

  it("rejects a limit that is not a whole number >= 0", () => {
    const { todos } = ranked()
    for (const limit of [-1, 1.5, Number.NaN]) {
      expect(() => todos.query({ limit })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }))
    }
  })

  it("names the collection and its stream in the error when it has one", () => {
    const todos = new Collection<Todo>("todos", "todo", "id", new MaterializedState(), "http://streams.test/todos")
    expect(() => todos.query({ limit: -1 })).toThrow(/todos of stream http:\/\/streams\.test\/todos: limit must be/)
  })

  it("rows missing the sort field come after the others", () => {
    const { todos, apply } = harness()
    apply(
      ins("todo", "a", { id: "a", text: "x", done: false }),
      ins("todo", "b", todo("b", { rank: 2 })),
      ins("todo", "c", { id: "c", text: "x", done: false, rank: null }),
      ins("todo", "d", todo("d", { rank: 1 }))
    )
    expect(ids(todos.query({ orderBy: "rank" }).current)).toEqual(["d", "b", "a", "c"])
  })

  it("ties are broken by key, so the order does not depend on arrival order", () => {
    const forward = harness()
    const backward = harness()
    const rows = ["k3", "k1", "k4", "k2"].map((id) => todo(id, { rank: id === "k4" ? 0 : 7 }))
    forward.apply(...rows.map((row) => ins("todo", row.id, row)))
    backward.apply(...[...rows].reverse().map((row) => ins("todo", row.id, row)))
    const options: QueryOptions<Todo> = { orderBy: "rank" }
    expect(ids(forward.todos.query(options).current)).toEqual(["k4", "k1", "k2", "k3"])
    expect(ids(backward.todos.query(options).current)).toEqual(["k4", "k1", "k2", "k3"])
    // A comparator that calls everything equal still yields a total, key-ordered result.
    expect(ids(backward.todos.query({ orderBy: () => 0 }).current)).toEqual(["k1", "k2", "k3", "k4"])
    // And rows arriving later slot into the same deterministic place.
    const query = forward.todos.query({ orderBy: "rank" })
    forward.apply(ins("todo", "k0", todo("k0", { rank: 7 })), ins("todo", "k9", todo("k9", { rank: 7 })))
    expect(ids(query.current)).toEqual(["k4", "k0", "k1", "k2", "k3", "k9"])
  })
})

describe("results follow the collection", () => {
  it("insert, update, delete move rows in and out of an ordered, limited result", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a", { rank: 1 })), ins("todo", "b", todo("b", { rank: 2 })), ins("todo", "c", todo("c", { rank: 3 })))
    const query = todos.query({ where: { done: false }, orderBy: "rank", limit: 2 })
    expect(ids(query.current)).toEqual(["a", "b"])
    apply(ins("todo", "z", todo("z", { rank: 0 })))
    expect(ids(query.current)).toEqual(["z", "a"])
    apply(upd("todo", "z", todo("z", { rank: 0, done: true })))
    expect(ids(query.current)).toEqual(["a", "b"])
    apply(upd("todo", "a", todo("a", { rank: 10 })))
    expect(ids(query.current)).toEqual(["b", "c"])
    apply(del("todo", "b"))
    expect(ids(query.current)).toEqual(["c", "a"])
    expect(query.current[1]).toEqual(todo("a", { rank: 10 }))
  })

  it("an unordered result keeps an updated row in its place and appends new ones", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a")), ins("todo", "b", todo("b")), ins("todo", "c", todo("c")))
    const query = todos.query({ where: { done: false } })
    const b2 = todo("b", { text: "edited" })
    apply(upd("todo", "b", b2), ins("todo", "d", todo("d")))
    expect(query.current).toEqual([todo("a"), b2, todo("c"), todo("d")])
    apply(upd("todo", "a", todo("a", { done: true })))
    expect(ids(query.current)).toEqual(["b", "c", "d"])
  })

  it("reset empties the result and later rows fill it again", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a")), ins("todo", "b", todo("b")))
    const query = todos.query({ orderBy: "id" })
    const { values } = record(query)
    apply(control("reset"))
    expect(query.current).toEqual([])
    apply(ins("todo", "c", todo("c")))
    expect(ids(query.current)).toEqual(["c"])
    expect(values.map(ids)).toEqual([["a", "b"], [], ["c"]])
  })

  it("a reset and new rows in one batch notify once with the new rows", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a")), ins("todo", "b", todo("b")))
    const query = todos.query({ orderBy: "id" })
    const { values } = record(query)
    apply(control("reset"), ins("todo", "b", todo("b", { text: "again" })), ins("todo", "c", todo("c")))
    expect(values.map(ids)).toEqual([["a", "b"], ["b", "c"]])
    expect(query.current[0]).toEqual(todo("b", { text: "again" }))
  })

  it("optimistic overrides flow into queries", () => {
    const { todos, apply, override, clearOverride } = harness()
    apply(ins("todo", "a", todo("a", { rank: 1 })), ins("todo", "b", todo("b", { rank: 2 })))
    const query = todos.query({ where: { done: false }, orderBy: "rank" })
    override("c", todo("c", { rank: 0 }))
    expect(ids(query.current)).toEqual(["c", "a", "b"])
    override("a", DELETED)
    expect(ids(query.current)).toEqual(["c", "b"])
    override("b", todo("b", { rank: 2, done: true }))
    expect(ids(query.current)).toEqual(["c"])
    clearOverride("a")
    clearOverride("b")
    clearOverride("c")
    expect(ids(query.current)).toEqual(["a", "b"])
  })
})

describe("identity", () => {
  function setup(options: QueryOptions<Todo>) {
    const h = harness()
    h.apply(...Array.from({ length: 6 }, (_, i) => ins("todo", `r${i}`, todo(`r${i}`, { rank: i, done: i % 2 === 1 }))))
    return { ...h, query: h.todos.query(options) }
  }

  it("unchanged rows keep their object identity when another row changes", () => {
    const { query, apply } = setup({ orderBy: "rank" })
    const before = query.current
    apply(upd("todo", "r2", todo("r2", { rank: 2, text: "edited" })))
    const after = query.current
    expect(after).not.toBe(before)
    for (const i of [0, 1, 3, 4, 5]) expect(after[i]).toBe(before[i])
    expect(after[2]).toEqual(todo("r2", { rank: 2, text: "edited" }))
  })

  it("a change to a row outside where leaves the same array and notifies no one", () => {
    const { query, apply } = setup({ where: { done: false }, orderBy: "rank" })
    const before = query.current
    const { values } = record(query)
    apply(upd("todo", "r1", todo("r1", { rank: 1, done: true, text: "still done" })))
    apply(ins("todo", "x", todo("x", { done: true })))
    apply(del("todo", "r3"))
    expect(query.current).toBe(before)
    expect(query.getSnapshot()).toBe(before)
    expect(values).toHaveLength(1)
  })

  it("a change to a row beyond the limit leaves the same array and notifies no one", () => {
    const { query, apply } = setup({ orderBy: "rank", limit: 3 })
    const before = query.current
    const { values } = record(query)
    apply(upd("todo", "r4", todo("r4", { rank: 40 })))
    apply(ins("todo", "x", todo("x", { rank: 100 })))
    apply(del("todo", "r5"))
    expect(query.current).toBe(before)
    expect(values).toHaveLength(1)
    // Moving into the window does change it.
    apply(upd("todo", "r4", todo("r4", { rank: -1 })))
    expect(ids(query.current)).toEqual(["r4", "r0", "r1"])
    expect(query.current[1]).toBe(before[0])
    expect(values).toHaveLength(2)
  })

  it("a batch that ends with the same rows leaves the same array", () => {
    const { query, apply, todos } = setup({ where: { done: false }, orderBy: "rank" })
    const before = query.current
    const r0 = todos.get("r0")!
    // r0 leaves and comes back as the very same object within one batch of key changes.
    apply(upd("todo", "r0", todo("r0", { done: true })), upd("todo", "r0", r0))
    expect(query.current).toBe(before)
  })
})

// Incremental maintenance is what a subscribed query does; one nobody
// subscribes to recomputes on read instead (and holds no listener).
describe("incremental maintenance", () => {
  const N = 10_000

  function big() {
    const h = harness()
    h.apply(...Array.from({ length: N }, (_, i) => ins("todo", `t${i}`, todo(`t${i}`, { rank: i % 97, done: i % 3 === 0 }))))
    return h
  }

  it("an update to one row of 10 000 runs where once", () => {
    const { todos, apply } = big()
    const query = todos.query({ where: (row) => !row.done, orderBy: { rank: "desc" }, limit: 50 })
    record(query)
    expect(query.evaluations).toBe(N)
    const before = query.evaluations
    apply(upd("todo", "t5000", todo("t5000", { rank: 1000 })))
    expect(query.evaluations - before).toBe(1)
    expect(query.current[0]).toEqual(todo("t5000", { rank: 1000 }))
  })

  it("an insert runs where once and a delete not at all", () => {
    const { todos, apply } = big()
    const query = todos.query({ where: { done: false }, orderBy: "rank" })
    record(query)
    let before = query.evaluations
    apply(ins("todo", "new", todo("new", { rank: -5 })))
    expect(query.evaluations - before).toBe(1)
    expect(query.current[0]?.id).toBe("new")
    before = query.evaluations
    apply(del("todo", "new"))
    expect(query.evaluations - before).toBe(0)
    expect(query.current[0]?.id).not.toBe("new")
  })

  it("an optimistic change to one row runs where once", () => {
    const { todos, override } = big()
    const query = todos.query({ where: { done: false } })
    record(query)
    const before = query.evaluations
    override("t1", todo("t1", { done: true }))
    expect(query.evaluations - before).toBe(1)
    expect(query.current.some((row) => row.id === "t1")).toBe(false)
  })
})

describe("store contract", () => {
  it("subscribe calls at once with the current result, then on each change; unsubscribe stops it", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a")))
    const query = todos.query({ orderBy: "id" })
    const { values, stop } = record(query)
    expect(values).toEqual([[todo("a")]])
    expect(values[0]).toBe(query.current)
    apply(ins("todo", "b", todo("b")))
    expect(values).toHaveLength(2)
    expect(values[1]).toBe(query.current)
    stop()
    apply(ins("todo", "c", todo("c")))
    expect(values).toHaveLength(2)
    expect(ids(query.current)).toEqual(["a", "b", "c"])
  })

  it("dispose drops every subscriber and stops following the collection; current still answers on read", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a")))
    const query = todos.query({ where: (row) => !row.done })
    const { values } = record(query)
    query.dispose()
    expect(controlOf(todos).listenerCount()).toBe(0)
    const evaluations = query.evaluations
    apply(ins("todo", "b", todo("b")), del("todo", "a"))
    // Nothing ran on the change itself...
    expect(query.evaluations).toBe(evaluations)
    expect(values).toHaveLength(1)
    // ...and a read sees the collection as it is now.
    expect(ids(query.current)).toEqual(["b"])
  })

  it("follows the collection only while subscribed: the last unsubscribe detaches, a new subscriber catches up", () => {
    const { todos, apply } = harness()
    const query = todos.query({ orderBy: "id" })
    // Created, read, never subscribed: nothing attached.
    expect(query.current).toEqual([])
    expect(controlOf(todos).listenerCount()).toBe(0)
    const first = record(query)
    const second = record(query)
    expect(controlOf(todos).listenerCount()).toBe(1)
    first.stop()
    expect(controlOf(todos).listenerCount()).toBe(1)
    second.stop()
    expect(controlOf(todos).listenerCount()).toBe(0)
    apply(ins("todo", "a", todo("a")))
    const third = record(query)
    expect(third.values).toEqual([[todo("a")]])
    apply(ins("todo", "b", todo("b")))
    expect(ids(third.values.at(-1)!)).toEqual(["a", "b"])
  })
})

describe("model check", () => {
  type Op = { kind: "put"; id: string; rank: number; done: boolean } | { kind: "del"; id: string } | { kind: "reset" }

  const opArb: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("put" as const), id: fc.constantFrom("a", "b", "c", "d", "e", "f"), rank: fc.integer({ min: 0, max: 3 }), done: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("del" as const), id: fc.constantFrom("a", "b", "c", "d", "e", "f") }) },
    { weight: 1, arbitrary: fc.constant({ kind: "reset" as const }) }
  )

  it("an ordered, filtered, limited query always equals recomputing it from scratch", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { maxLength: 25 }),
        fc.integer({ min: 0, max: 5 }),
        (batches, limit) => {
          const { todos, apply } = harness()
          const query = todos.query({ where: { done: false }, orderBy: { rank: "desc" }, limit })
          for (const batch of batches) {
            apply(
              ...batch.map((op) =>
                op.kind === "put"
                  ? upd("todo", op.id, todo(op.id, { rank: op.rank, done: op.done }))
                  : op.kind === "del"
                    ? del("todo", op.id)
                    : control("reset")
              )
            )
            const expected = todos
              .toArray()
              .filter((row) => !row.done)
              .sort((x, y) => y.rank - x.rank || (x.id < y.id ? -1 : 1))
              .slice(0, limit)
            expect(query.current).toEqual(expected)
            // Rows are the collection's own objects, not copies.
            for (const row of query.current) expect(row).toBe(todos.get(row.id))
          }
        }
      ),
      { numRuns: 200 }
    )
  })
})

describe("missing values", () => {
  it("sort last in both directions", () => {
    const { todos, apply } = harness()
    // `rank` is missing on "b": stream data is untrusted, and a schema may make a field optional.
    const unranked = { id: "b", text: "todo b", done: false } as unknown as Todo
    apply(ins("todo", "a", todo("a", { rank: 1 })), ins("todo", "b", unranked), ins("todo", "c", todo("c", { rank: 2 })))
    expect(ids(todos.query({ orderBy: "rank" }).current)).toEqual(["a", "c", "b"])
    expect(ids(todos.query({ orderBy: { rank: "desc" } }).current)).toEqual(["c", "a", "b"])
  })
})
