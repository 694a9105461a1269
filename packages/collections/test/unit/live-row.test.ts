import { describe, expect, it } from "vitest"
import { DELETED, controlOf } from "../../src/collection-contract"
import { harness, record, todo } from "../support/harness"
import { control, del, ins, upd } from "../support/messages"

describe("watch / LiveRow", () => {
  it("starts with the current row, or undefined while absent", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a")))
    expect(todos.watch("a").current).toBe(todos.get("a"))
    expect(todos.watch("a").getSnapshot()).toEqual(todo("a"))
    expect(todos.watch("b").current).toBeUndefined()
  })

  it("notifies on insert, update and delete of its row", () => {
    const { todos, apply } = harness()
    const row = todos.watch("a")
    const { values } = record(row)
    apply(ins("todo", "a", todo("a")))
    apply(upd("todo", "a", todo("a", { done: true })))
    apply(del("todo", "a"))
    expect(values).toEqual([undefined, todo("a"), todo("a", { done: true }), undefined])
    expect(row.current).toBeUndefined()
  })

  it("does not notify when other rows change", () => {
    const { todos, apply } = harness()
    apply(ins("todo", "a", todo("a")))
    const row = todos.watch("a")
    const before = row.current
    const { values } = record(row)
    apply(ins("todo", "b", todo("b")), upd("todo", "c", todo("c")))
    apply(del("todo", "b"))
    apply(ins("user", "a", { id: "a", name: "same key, other type" }))
    expect(values).toEqual([before])
    expect(row.current).toBe(before)
  })

  it("does not notify when its key is touched but the visible row is the same object", () => {
    const { todos, apply, override } = harness()
    apply(ins("todo", "a", todo("a")))
    const mine = todo("a", { text: "optimistic" })
    override("a", mine)
    const row = todos.watch("a")
    const { values } = record(row)
    // A confirmed update under a pending override does not change what is visible.
    apply(upd("todo", "a", todo("a", { text: "confirmed" })))
    expect(values).toEqual([mine])
  })

  it("follows optimistic overrides and a reset", () => {
    const { todos, apply, override, clearOverride } = harness()
    apply(ins("todo", "a", todo("a")))
    const row = todos.watch("a")
    const { values } = record(row)
    override("a", DELETED)
    clearOverride("a")
    apply(control("reset"))
    expect(values).toEqual([todo("a"), undefined, todo("a"), undefined])
  })

  it("unsubscribe and dispose stop notifications", () => {
    const { todos, apply } = harness()
    const row = todos.watch("a")
    const first = record(row)
    const second = record(row)
    first.stop()
    apply(ins("todo", "a", todo("a")))
    expect(first.values).toEqual([undefined])
    expect(second.values).toEqual([undefined, todo("a")])
    row.dispose()
    expect(controlOf(todos).listenerCount()).toBe(0)
    apply(upd("todo", "a", todo("a", { done: true })))
    expect(second.values).toHaveLength(2)
    // Not following any more, yet a read is never stale.
    expect(row.current).toEqual(todo("a", { done: true }))
  })

  it("holds no listener until subscribed, and none after the last unsubscribe", () => {
    const { todos, apply } = harness()
    const row = todos.watch("a")
    expect(controlOf(todos).listenerCount()).toBe(0)
    const watching = record(row)
    expect(controlOf(todos).listenerCount()).toBe(1)
    apply(ins("todo", "a", todo("a")))
    watching.stop()
    expect(controlOf(todos).listenerCount()).toBe(0)
    expect(watching.values).toEqual([undefined, todo("a")])
  })
})
