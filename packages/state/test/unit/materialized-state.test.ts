import { describe, expect, it } from "vitest"
import { MaterializedState, type Change, type StateSnapshot } from "../../src/index"
import { control, del, ins, upd } from "../support/messages"

/** A state plus every notification its observer received, one array per call. */
function observed(): { state: MaterializedState; calls: Change[][] } {
  const state = new MaterializedState()
  const calls: Change[][] = []
  state.subscribe((changes) => calls.push([...changes]))
  return { state, calls }
}

function rows(state: MaterializedState, type: string): Record<string, unknown> {
  return Object.fromEntries(state.entries(type))
}

describe("operations", () => {
  it("insert stores the value under (type, key)", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "1", { name: "Ada" })])
    expect(state.get("user", "1")).toEqual({ name: "Ada" })
    expect(state.has("user", "1")).toBe(true)
    expect(calls).toEqual([
      [{ type: "user", key: "1", operation: "insert", previous: undefined, value: { name: "Ada" } }],
    ])
  })

  it("update replaces the whole value, without merging", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "1", { name: "Ada", email: "ada@example.com" })])
    state.apply([upd("user", "1", { name: "Ada Lovelace" })])
    expect(state.get("user", "1")).toEqual({ name: "Ada Lovelace" })
    expect(calls[1]).toEqual([
      {
        type: "user",
        key: "1",
        operation: "update",
        previous: { name: "Ada", email: "ada@example.com" },
        value: { name: "Ada Lovelace" },
      },
    ])
  })

  it("delete removes the row and reports its last value", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "1", { name: "Ada" }), ins("user", "2", { name: "Alan" })])
    state.apply([del("user", "1")])
    expect(state.has("user", "1")).toBe(false)
    expect(state.get("user", "1")).toBeUndefined()
    expect(rows(state, "user")).toEqual({ "2": { name: "Alan" } })
    expect(calls[1]).toEqual([{ type: "user", key: "1", operation: "delete", previous: { name: "Ada" }, value: undefined }])
  })

  it("keeps the same key apart in different types", () => {
    const state = new MaterializedState()
    state.apply([ins("user", "1", "a user"), ins("team", "1", "a team")])
    state.apply([del("team", "1")])
    expect(state.get("user", "1")).toBe("a user")
    expect(state.has("team", "1")).toBe(false)
  })

  it("stores null and other non-object JSON values as values", () => {
    const state = new MaterializedState()
    state.apply([ins("flag", "a", null), ins("flag", "b", 0), ins("flag", "c", false), ins("flag", "d", ["x"])])
    expect(state.has("flag", "a")).toBe(true)
    expect(state.get("flag", "a")).toBeNull()
    expect(rows(state, "flag")).toEqual({ a: null, b: 0, c: false, d: ["x"] })
  })

  it("applies messages strictly in order within one apply call", () => {
    const { state, calls } = observed()
    state.apply([ins("t", "k", 1), upd("t", "k", 2), del("t", "k"), ins("t", "k", 3)])
    expect(state.get("t", "k")).toBe(3)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.map((c) => [c.operation, c.previous, c.value])).toEqual([
      ["insert", undefined, 1],
      ["update", 1, 2],
      ["delete", 2, undefined],
      ["insert", undefined, 3],
    ])
  })
})

describe("operations the spec leaves open", () => {
  it("insert on an existing key replaces the value; observers see an update", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "1", { v: 1 })])
    state.apply([ins("user", "1", { v: 2 })])
    expect(state.get("user", "1")).toEqual({ v: 2 })
    expect(state.size("user")).toBe(1)
    expect(calls[1]).toEqual([{ type: "user", key: "1", operation: "update", previous: { v: 1 }, value: { v: 2 } }])
  })

  it("update on a missing key stores the value; observers see an insert", () => {
    const { state, calls } = observed()
    state.apply([upd("user", "9", { v: 1 })])
    expect(state.get("user", "9")).toEqual({ v: 1 })
    expect(calls).toEqual([[{ type: "user", key: "9", operation: "insert", previous: undefined, value: { v: 1 } }]])
  })

  it("delete on a missing key changes nothing and notifies no one", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "1", "x")])
    state.apply([del("user", "2"), del("nobody", "1")])
    expect(calls).toHaveLength(1)
    expect(rows(state, "user")).toEqual({ "1": "x" })
    expect(state.types()).toEqual(["user"])
  })

  it("a delete of a missing key inside a batch adds no entry to that batch's changes", () => {
    const { state, calls } = observed()
    state.apply([del("user", "ghost"), ins("user", "1", "x")])
    expect(calls).toEqual([[{ type: "user", key: "1", operation: "insert", previous: undefined, value: "x" }]])
  })
})

describe("change feed", () => {
  it("carries the writer's txid on each change, and leaves it out when none was stamped", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "1", "a", "tx-1"), ins("user", "2", "b"), upd("user", "1", "c", "tx-2"), del("user", "2", "tx-3")])
    expect(calls).toHaveLength(1)
    const changes = calls[0]!
    expect(changes.map((c) => c.txid)).toEqual(["tx-1", undefined, "tx-2", "tx-3"])
    expect("txid" in changes[1]!).toBe(false)
    expect(changes[3]).toEqual({ type: "user", key: "2", operation: "delete", previous: "b", value: undefined, txid: "tx-3" })
  })

  it("notifies once per apply call, and not at all when nothing changed", () => {
    const { state, calls } = observed()
    state.apply([])
    state.apply([ins("a", "1", 1), ins("b", "1", 1)])
    state.apply([del("a", "404")])
    state.apply([control("snapshot-start"), control("snapshot-end")])
    expect(calls).toHaveLength(1)
    expect(calls[0]).toHaveLength(2)
  })

  it("stops notifying after unsubscribe, and several observers each get the same list", () => {
    const state = new MaterializedState()
    const first: Change[][] = []
    const second: Change[][] = []
    const stop = state.subscribe((changes) => first.push([...changes]))
    state.subscribe((changes) => second.push([...changes]))
    state.apply([ins("t", "1", 1)])
    stop()
    state.apply([ins("t", "2", 2)])
    expect(first).toHaveLength(1)
    expect(second).toHaveLength(2)
    expect(second[0]).toEqual(first[0])
  })

  it("lets an observer unsubscribe itself while being notified without skipping the others", () => {
    const state = new MaterializedState()
    const seen: string[] = []
    const stop = state.subscribe(() => {
      seen.push("first")
      stop()
    })
    state.subscribe(() => seen.push("second"))
    state.apply([ins("t", "1", 1)])
    state.apply([ins("t", "2", 2)])
    expect(seen).toEqual(["first", "second", "second"])
  })

  it("shows observers the state after the whole batch", () => {
    const state = new MaterializedState()
    let sizeSeen = -1
    state.subscribe(() => {
      sizeSeen = state.size("t")
    })
    state.apply([ins("t", "1", 1), ins("t", "2", 2), ins("t", "3", 3)])
    expect(sizeSeen).toBe(3)
  })
})

describe("reset", () => {
  it("clears every type and reports a delete per row", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "1", "u1"), ins("user", "2", "u2"), ins("team", "a", "ta")])
    state.apply([control("reset")])
    expect(state.types()).toEqual([])
    expect(state.size("user")).toBe(0)
    expect(state.size("team")).toBe(0)
    const deletes = calls[1]!
    expect(deletes).toHaveLength(3)
    expect(deletes.every((c) => c.operation === "delete" && c.value === undefined)).toBe(true)
    expect(deletes.map((c) => [c.type, c.key, c.previous])).toEqual(
      expect.arrayContaining([
        ["user", "1", "u1"],
        ["user", "2", "u2"],
        ["team", "a", "ta"],
      ])
    )
  })

  it("starts afresh: changes after the reset in the same batch apply to an empty state", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "1", "old")])
    state.apply([control("reset", "0000_5"), ins("user", "2", "new"), upd("user", "1", "back")])
    expect(rows(state, "user")).toEqual({ "2": "new", "1": "back" })
    expect(calls[1]!.map((c) => [c.operation, c.key])).toEqual([
      ["delete", "1"],
      ["insert", "2"],
      ["insert", "1"],
    ])
  })

  it("on an empty state notifies no one", () => {
    const { state, calls } = observed()
    state.apply([control("reset")])
    expect(calls).toHaveLength(0)
  })

  it("drops the changes of an unfinished snapshot", () => {
    const state = new MaterializedState()
    state.apply([control("snapshot-start"), ins("user", "1", "partial")])
    expect(state.inSnapshot).toBe(true)
    state.apply([control("reset")])
    expect(state.inSnapshot).toBe(false)
    state.apply([control("snapshot-end")])
    expect(state.has("user", "1")).toBe(false)
  })

  it("clear() does the same as a reset", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "1", "u1"), control("snapshot-start"), ins("user", "2", "held")])
    state.clear()
    expect(state.types()).toEqual([])
    expect(state.inSnapshot).toBe(false)
    expect(calls[1]).toEqual([{ type: "user", key: "1", operation: "delete", previous: "u1", value: undefined }])
  })
})

describe("snapshots", () => {
  it("holds changes until snapshot-end, then applies them and notifies once", () => {
    const { state, calls } = observed()
    state.apply([ins("user", "0", "before")])
    state.apply([control("snapshot-start"), ins("user", "1", "a"), ins("user", "2", "b"), upd("user", "0", "changed")])
    // Nothing of the snapshot is visible yet.
    expect(state.inSnapshot).toBe(true)
    expect(state.has("user", "1")).toBe(false)
    expect(state.get("user", "0")).toBe("before")
    expect(calls).toHaveLength(1)

    state.apply([control("snapshot-end")])
    expect(state.inSnapshot).toBe(false)
    expect(rows(state, "user")).toEqual({ "0": "changed", "1": "a", "2": "b" })
    expect(calls).toHaveLength(2)
    expect(calls[1]!.map((c) => [c.operation, c.key, c.value])).toEqual([
      ["insert", "1", "a"],
      ["insert", "2", "b"],
      ["update", "0", "changed"],
    ])
  })

  it("a snapshot in a single apply call is one notification with its changes", () => {
    const { state, calls } = observed()
    state.apply([control("snapshot-start"), ins("t", "1", 1), ins("u", "1", 2), control("snapshot-end")])
    expect(calls).toEqual([
      [
        { type: "t", key: "1", operation: "insert", previous: undefined, value: 1 },
        { type: "u", key: "1", operation: "insert", previous: undefined, value: 2 },
      ],
    ])
  })

  it("a snapshot split across apply calls is invisible until its end, even mid-batch", () => {
    const { state, calls } = observed()
    const sizes: number[] = []
    state.subscribe(() => sizes.push(state.size("t")))
    state.apply([ins("t", "a", "live"), control("snapshot-start"), ins("t", "1", 1)])
    // The change before the snapshot applied; the one inside did not.
    expect(calls).toHaveLength(1)
    expect(calls[0]!.map((c) => c.key)).toEqual(["a"])
    state.apply([ins("t", "2", 2), del("t", "a")])
    expect(calls).toHaveLength(1)
    expect(rows(state, "t")).toEqual({ a: "live" })
    state.apply([ins("t", "3", 3), control("snapshot-end"), ins("t", "4", 4)])
    expect(calls).toHaveLength(2)
    expect(calls[1]!.map((c) => `${c.operation}:${c.key}`)).toEqual(["insert:1", "insert:2", "delete:a", "insert:3", "insert:4"])
    expect(rows(state, "t")).toEqual({ "1": 1, "2": 2, "3": 3, "4": 4 })
    // The observer never saw an intermediate size.
    expect(sizes).toEqual([1, 4])
  })

  it("snapshot-end without a start applies nothing and is harmless", () => {
    const { state, calls } = observed()
    state.apply([control("snapshot-end"), ins("t", "1", 1)])
    expect(state.get("t", "1")).toBe(1)
    expect(calls).toHaveLength(1)
  })

  it("toJSON keeps a pending snapshot, and restore continues it", () => {
    const state = new MaterializedState()
    state.apply([ins("t", "kept", 0), control("snapshot-start"), ins("t", "1", 1), del("t", "kept")])
    const snapshot = JSON.parse(JSON.stringify(state.toJSON())) as StateSnapshot
    expect(snapshot.pendingSnapshot).toHaveLength(2)

    const { state: restored, calls } = observed()
    restored.restore(snapshot)
    expect(restored.inSnapshot).toBe(true)
    expect(rows(restored, "t")).toEqual({ kept: 0 })
    expect(calls).toHaveLength(1)

    restored.apply([ins("t", "2", 2), control("snapshot-end")])
    expect(restored.inSnapshot).toBe(false)
    expect(rows(restored, "t")).toEqual({ "1": 1, "2": 2 })
    expect(calls[1]!.map((c) => `${c.operation}:${c.key}`)).toEqual(["insert:1", "delete:kept", "insert:2"])
  })

  it("a checkpoint taken mid-snapshot is not affected by later changes to the original", () => {
    const state = new MaterializedState()
    state.apply([control("snapshot-start"), ins("t", "1", 1)])
    const snapshot = state.toJSON()
    state.apply([ins("t", "2", 2), control("snapshot-end")])
    expect(snapshot.pendingSnapshot).toHaveLength(1)
    expect(snapshot.tables).toEqual({})
  })
})

describe("reading the state", () => {
  it("entries, size, has and types reflect the rows, entries in insertion order", () => {
    const state = new MaterializedState()
    expect(state.types()).toEqual([])
    expect(state.size("user")).toBe(0)
    expect([...state.entries("user")]).toEqual([])
    state.apply([ins("user", "b", 2), ins("user", "a", 1), ins("team", "x", "X"), upd("user", "b", 3)])
    expect([...state.entries("user")]).toEqual([
      ["b", 3],
      ["a", 1],
    ])
    expect(state.size("user")).toBe(2)
    expect(state.size("team")).toBe(1)
    expect(state.has("team", "x")).toBe(true)
    expect(state.has("team", "y")).toBe(false)
    expect(state.types().sort()).toEqual(["team", "user"])
  })

  it("a type whose rows were all deleted is no longer listed", () => {
    const state = new MaterializedState()
    state.apply([ins("user", "1", 1), ins("team", "1", 1), del("team", "1")])
    expect(state.types()).toEqual(["user"])
    expect(state.size("team")).toBe(0)
  })

  it("get is typed by its caller", () => {
    const state = new MaterializedState()
    state.apply([ins("user", "1", { name: "Ada" })])
    const user = state.get<{ name: string }>("user", "1")
    expect(user?.name).toBe("Ada")
  })
})

describe("checkpoints (toJSON / restore)", () => {
  it("round-trips through JSON text", () => {
    const state = new MaterializedState()
    state.apply([ins("user", "1", { n: 1 }), ins("user", "2", { n: 2 }), ins("team", "t", ["x"]), del("user", "2")])
    const text = JSON.stringify(state)
    const restored = new MaterializedState()
    restored.restore(JSON.parse(text) as StateSnapshot)
    expect(restored.toJSON()).toEqual(state.toJSON())
    expect(rows(restored, "user")).toEqual({ "1": { n: 1 } })
    expect(rows(restored, "team")).toEqual({ t: ["x"] })
    expect(restored.inSnapshot).toBe(false)
  })

  it("leaves empty tables out and carries no pendingSnapshot when none is open", () => {
    const state = new MaterializedState()
    state.apply([ins("a", "1", 1), del("a", "1"), ins("b", "1", 1)])
    const snapshot = state.toJSON()
    expect(snapshot).toEqual({ version: 1, tables: { b: [["1", 1]] } })
    expect("pendingSnapshot" in snapshot).toBe(false)
  })

  it("restore replaces the previous contents and observers can rebuild the new state from the changes", () => {
    const source = new MaterializedState()
    source.apply([ins("user", "1", "one"), ins("user", "2", "two")])
    const { state, calls } = observed()
    state.apply([ins("user", "1", "stale"), ins("other", "x", "gone")])
    state.restore(source.toJSON())
    expect(rows(state, "user")).toEqual({ "1": "one", "2": "two" })
    expect(state.has("other", "x")).toBe(false)
    // Replaying the restore's changes onto a mirror of the old state yields the new state.
    const mirror = new Map<string, unknown>([
      ["user/1", "stale"],
      ["other/x", "gone"],
    ])
    for (const change of calls[1]!) {
      if (change.operation === "delete") mirror.delete(`${change.type}/${change.key}`)
      else mirror.set(`${change.type}/${change.key}`, change.value)
    }
    expect(Object.fromEntries(mirror)).toEqual({ "user/1": "one", "user/2": "two" })
  })
})

describe("the txids apply() makes visible", () => {
  const watchedAndNot = (): Array<[string, MaterializedState]> => [
    ["with an observer", observed().state],
    ["with none (the replay path)", new MaterializedState()],
  ]

  it.each(watchedAndNot())("%s: every applied change's txid in order, a delete of a missing key included", (_name, state) => {
    expect(state.apply([ins("user", "1", "a", "tx-1"), ins("user", "2", "b"), del("user", "ghost", "tx-2"), upd("user", "1", "c", "tx-3")])).toEqual([
      "tx-1",
      "tx-2",
      "tx-3",
    ])
  })

  it.each(watchedAndNot())("%s: a snapshot's txids only at its end, even in a later call", (_name, state) => {
    expect(state.apply([ins("user", "0", 0, "before"), control("snapshot-start"), ins("user", "1", 1, "held")])).toEqual(["before"])
    expect(state.apply([ins("user", "2", 2, "held too")])).toEqual([])
    expect(state.apply([control("snapshot-end"), ins("user", "3", 3, "after")])).toEqual(["held", "held too", "after"])
  })

  it("a reset discards the txids held in an open snapshot", () => {
    const state = new MaterializedState()
    expect(state.apply([control("snapshot-start"), ins("user", "1", 1, "dropped"), control("reset"), ins("user", "2", 2, "kept")])).toEqual([
      "kept",
    ])
    expect(state.apply([control("snapshot-end")])).toEqual([])
  })

  it("a snapshot restored from a checkpoint gives up its txids at its end", () => {
    const before = new MaterializedState()
    before.apply([control("snapshot-start"), ins("user", "1", 1, "held")])
    const after = new MaterializedState()
    after.restore(before.toJSON())
    expect(after.apply([control("snapshot-end")])).toEqual(["held"])
  })
})
