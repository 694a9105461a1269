/**
 * A caller's function can't break a collection or a live query: a throwing
 * subscriber, where or orderBy is reported as CALLBACK_FAILED and everything
 * else keeps updating.
 */
import { describe, expect, it } from "vitest"
import type { DurableStreamError } from "../../src/index"
import { harness, record, todo } from "../support/harness"
import { ins, upd } from "../support/messages"
import type { Todo } from "../support/schemas"

const ids = (rows: readonly Todo[]): string[] => rows.map((row) => row.id)

function reporting() {
  const reported: DurableStreamError[] = []
  return { reported, h: harness({ onCallbackError: (error) => reported.push(error) }) }
}

describe("a where predicate that throws", () => {
  it("counts its row as not matching; the query and its neighbours keep updating, and it is reported once per pass", () => {
    const { reported, h } = reporting()
    const bug = new Error("where bug")
    h.apply(ins("todo", "a", todo("a", { rank: 1 })), ins("todo", "bad", todo("bad", { rank: 2 })))
    const fragile = h.todos.query({
      where: (row) => {
        if (row.id === "bad") throw bug
        return true
      },
      orderBy: "rank",
    })
    const sturdy = h.todos.query({ orderBy: "rank" })
    const fragileValues = record(fragile).values
    const sturdyValues = record(sturdy).values
    expect(ids(fragile.current)).toEqual(["a"])
    expect(reported).toHaveLength(1)
    expect(reported[0]).toMatchObject({ code: "CALLBACK_FAILED", cause: bug })
    expect(reported[0]!.message).toContain("the where predicate of a query of collection todos")

    h.apply(ins("todo", "c", todo("c", { rank: 3 })), upd("todo", "bad", todo("bad", { rank: 0 })))
    expect(ids(fragileValues.at(-1)!)).toEqual(["a", "c"])
    expect(ids(sturdyValues.at(-1)!)).toEqual(["bad", "a", "c"])
    expect(reported).toHaveLength(2)
  })
})

describe("an orderBy comparator that throws", () => {
  it("is reported and treated as a tie (key order); the query still holds every row", () => {
    const { reported, h } = reporting()
    h.apply(ins("todo", "b", todo("b")), ins("todo", "a", todo("a")))
    const query = h.todos.query({
      orderBy: () => {
        throw new Error("compare bug")
      },
    })
    expect(ids(record(query).values.at(-1)!)).toEqual(["a", "b"])
    expect(reported.map((error) => error.code)).toEqual(["CALLBACK_FAILED"])
    expect(reported[0]!.message).toContain("orderBy")
  })
})

describe("a subscriber that throws", () => {
  it("on a query, a row or the collection: the other subscribers still hear every change", () => {
    const { reported, h } = reporting()
    const boom = () => {
      throw new Error("subscriber bug")
    }
    const query = h.todos.query()
    const row = h.todos.watch("a")
    query.subscribe(boom)
    row.subscribe(boom)
    h.todos.subscribe(boom)
    const queryValues = record(query).values
    const rowValues = record(row).values
    const collectionValues = record(h.todos).values
    h.apply(ins("todo", "a", todo("a")))
    h.apply(upd("todo", "a", todo("a", { done: true })))
    expect(queryValues).toHaveLength(3)
    expect(rowValues).toEqual([undefined, todo("a"), todo("a", { done: true })])
    expect(collectionValues).toHaveLength(3)
    // Three subscribers threw on subscribing and on each of two changes.
    expect(reported).toHaveLength(9)
    for (const error of reported) expect(error).toMatchObject({ code: "CALLBACK_FAILED", url: "http://collections.test/todos" })
  })

  it("on the change feed: the queries that follow the collection still update", () => {
    const { reported, h } = reporting()
    h.todos.onKeysChanged(() => {
      throw new Error("feed bug")
    })
    const query = h.todos.query()
    const values = record(query).values
    h.apply(ins("todo", "a", todo("a")))
    expect(ids(values.at(-1)!)).toEqual(["a"])
    expect(reported).toHaveLength(1)
  })
})
