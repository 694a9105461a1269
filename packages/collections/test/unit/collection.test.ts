import { describe, expect, it } from "vitest"
import { DELETED, controlOf } from "../../src/collection-contract"
import { harness, record, todo } from "../support/harness"
import { del, ins, upd } from "../support/messages"

describe("Collection reads over confirmed rows", () => {
  it("get, has, size and iteration reflect the materialized rows of its own type only", () => {
    const { todos, apply } = harness()
    const a = todo("a")
    const b = todo("b")
    apply(ins("todo", "a", a), ins("todo", "b", b), ins("user", "a", { id: "a", name: "not a todo" }))
    expect(todos.get("a")).toBe(a)
    expect(todos.get("missing")).toBeUndefined()
    expect(todos.has("b")).toBe(true)
    expect(todos.has("missing")).toBe(false)
    expect(todos.size).toBe(2)
    expect([...todos]).toEqual([a, b])
    expect([...todos.entries()]).toEqual([
      ["a", a],
      ["b", b],
    ])
    expect(todos.toArray()).toEqual([a, b])
  })

  it("follows updates and deletes, keeping stream insertion order", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a")), ins("todo", "b", todo("b")), ins("todo", "c", todo("c")))
    const b2 = todo("b", { text: "changed" })
    apply(upd("todo", "b", b2), del("todo", "a"))
    expect(todos.toArray()).toEqual([b2, todo("c")])
    expect(todos.size).toBe(2)
    expect(todos.has("a")).toBe(false)
  })

  it("is empty before anything arrives", () => {
    const { todos } = harness()
    expect(todos.size).toBe(0)
    expect(todos.toArray()).toEqual([])
    expect(todos.get("a")).toBeUndefined()
  })
})

describe("Collection with optimistic overrides", () => {
  it("shows an optimistic insert after the confirmed rows", () => {
    const { todos, apply, override } = harness()
    apply(ins("todo", "a", todo("a")), ins("todo", "b", todo("b")))
    const z = todo("z")
    override("z", z)
    expect(todos.get("z")).toBe(z)
    expect(todos.has("z")).toBe(true)
    expect(todos.size).toBe(3)
    expect(todos.toArray().map((row) => row.id)).toEqual(["a", "b", "z"])
    expect([...todos.entries()].map(([key]) => key)).toEqual(["a", "b", "z"])
  })

  it("shows an optimistic replacement in the confirmed row's place", () => {
    const { todos, apply, override } = harness()
    apply(ins("todo", "a", todo("a")), ins("todo", "b", todo("b")), ins("todo", "c", todo("c")))
    const b = todo("b", { text: "optimistic" })
    override("b", b)
    expect(todos.get("b")).toBe(b)
    expect(todos.size).toBe(3)
    expect(todos.toArray()).toEqual([todo("a"), b, todo("c")])
  })

  it("hides an optimistically deleted row", () => {
    const { todos, apply, override } = harness()
    apply(ins("todo", "a", todo("a")), ins("todo", "b", todo("b")))
    override("a", DELETED)
    expect(todos.get("a")).toBeUndefined()
    expect(todos.has("a")).toBe(false)
    expect(todos.size).toBe(1)
    expect([...todos]).toEqual([todo("b")])
  })

  it("does not count an optimistic delete of a row that was never there", () => {
    const { todos, apply, override } = harness()
    apply(ins("todo", "a", todo("a")))
    override("ghost", DELETED)
    expect(todos.size).toBe(1)
    expect(todos.toArray()).toEqual([todo("a")])
  })

  it("an override keeps winning over confirmed changes to the same key until it is removed", () => {
    const { todos, apply, override, clearOverride } = harness()
    apply(ins("todo", "a", todo("a")))
    const optimistic = todo("a", { text: "mine" })
    override("a", optimistic)
    apply(upd("todo", "a", todo("a", { text: "theirs" })))
    expect(todos.get("a")).toBe(optimistic)
    clearOverride("a")
    expect(todos.get("a")).toEqual(todo("a", { text: "theirs" }))
  })

  it("an optimistic insert whose row is then confirmed is counted once", () => {
    const { todos, apply, override } = harness()
    override("a", todo("a"))
    apply(ins("todo", "a", todo("a", { text: "confirmed" })))
    expect(todos.size).toBe(1)
    expect(todos.toArray()).toHaveLength(1)
  })
})

describe("Collection as a store", () => {
  it("toArray returns the same array until a key changes", () => {
    const { todos, apply, override } = harness()
    apply(ins("todo", "a", todo("a")))
    const first = todos.toArray()
    expect(todos.toArray()).toBe(first)
    expect(todos.getSnapshot()).toBe(first)
    apply(ins("todo", "b", todo("b")))
    const second = todos.toArray()
    expect(second).not.toBe(first)
    expect(second).toEqual([todo("a"), todo("b")])
    override("c", todo("c"))
    expect(todos.getSnapshot()).not.toBe(second)
  })

  it("subscribe calls at once with the rows, then once per applied batch; unsubscribe stops it", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a")))
    const { values, stop } = record(todos)
    expect(values).toEqual([[todo("a")]])
    apply(ins("todo", "b", todo("b")), ins("todo", "c", todo("c")))
    expect(values).toHaveLength(2)
    expect(values[1]).toEqual([todo("a"), todo("b"), todo("c")])
    expect(values[1]).toBe(todos.getSnapshot())
    stop()
    apply(del("todo", "a"))
    expect(values).toHaveLength(2)
  })

  it("does not notify for changes to other types", () => {
    const { todos, apply } = harness()
    const { values } = record(todos)
    const keys: string[][] = []
    todos.onKeysChanged((changed) => keys.push([...changed]))
    apply(ins("user", "u", { id: "u", name: "Ada" }))
    expect(values).toHaveLength(1)
    expect(keys).toEqual([])
  })

  it("onKeysChanged reports the keys of each batch, once", () => {
    const { todos, apply } = harness()
    const keys: string[][] = []
    const stop = todos.onKeysChanged((changed) => keys.push([...changed]))
    apply(ins("todo", "a", todo("a")), ins("todo", "b", todo("b")))
    apply(del("todo", "a"))
    stop()
    apply(del("todo", "b"))
    expect(keys).toEqual([["a", "b"], ["a"]])
  })

  it("release drops every listener", () => {
    const { todos, apply } = harness()
    const { values } = record(todos)
    const keys: string[][] = []
    todos.onKeysChanged((changed) => keys.push([...changed]))
    controlOf(todos).release()
    apply(ins("todo", "a", todo("a")))
    expect(values).toHaveLength(1)
    expect(keys).toEqual([])
    expect(todos.get("a")).toEqual(todo("a"))
  })
})
