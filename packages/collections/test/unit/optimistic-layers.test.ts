/**
 * Optimistic layers without a server, a stream or a collection: a map of
 * confirmed rows, layers drafted by hand, and what each key shows after
 * apply, confirm and roll back.
 */
import { describe, expect, it } from "vitest"
import { DELETED } from "../../src/collection-contract"
import { OptimisticLayers, draftCollection, type DraftTarget, type Layer } from "../../src/optimistic-layers"

interface Row {
  id: string
  text: string
  done?: boolean
}

function setup() {
  const confirmed = new Map<string, Row>()
  const layers = new OptimisticLayers<DraftTarget>()
  const todos: DraftTarget = {
    name: "todos",
    primaryKey: "id",
    get: (key) => show(key),
  }
  /** What the key shows: the confirmed row with the pending layers, as a collection would. */
  const show = (key: string): Row | undefined => {
    const visible = layers.visible(todos, key, confirmed.get(key))
    if (!visible.touched) return confirmed.get(key)
    return visible.value === DELETED ? undefined : (visible.value as Row)
  }
  /** Drafts and applies a layer, as an action's `optimistic` step does. */
  const act = (txid: string, optimistic: (draft: ReturnType<typeof draftCollection>) => void): Layer<DraftTarget> => {
    const layer = layers.createLayer(txid)
    optimistic(draftCollection(layer, todos, "http://collections.test/todos"))
    layers.apply(layer)
    return layer
  }
  return { confirmed, layers, todos, show, act }
}

describe("apply", () => {
  it("an insert, update or delete shows at once over the confirmed rows, and names the keys it touched", () => {
    const { confirmed, layers, todos, show } = setup()
    confirmed.set("a", { id: "a", text: "confirmed" })
    confirmed.set("b", { id: "b", text: "doomed" })
    const layer = layers.createLayer("tx-1")
    const draft = draftCollection(layer, todos, "http://collections.test/todos")
    draft.insert({ id: "c", text: "new" })
    draft.update("a", (row) => ({ ...(row as Row), done: true }))
    draft.delete("b")
    expect(show("c")).toBeUndefined()
    const affected = layers.apply(layer)
    expect([...affected.get(todos)!]).toEqual(["c", "a", "b"])
    expect(show("c")).toEqual({ id: "c", text: "new" })
    expect(show("a")).toEqual({ id: "a", text: "confirmed", done: true })
    expect(show("b")).toBeUndefined()
    expect(layers.visible(todos, "b", confirmed.get("b"))).toEqual({ touched: true, value: DELETED })
    expect(layers.visible(todos, "z", undefined)).toEqual({ touched: false, value: undefined })
  })

  it("a draft reads the pending changes before it, and its own", () => {
    const { act, show } = setup()
    act("tx-1", (draft) => draft.insert({ id: "a", text: "first" }))
    act("tx-2", (draft) => {
      expect(draft.get("a")).toEqual({ id: "a", text: "first" })
      draft.update("a", (row) => ({ ...(row as Row), text: "second" }))
      expect(draft.get("a")).toEqual({ id: "a", text: "second" })
    })
    expect(show("a")).toEqual({ id: "a", text: "second" })
  })

  it("a row without a usable primary key is INVALID_ARGUMENT, before anything shows", () => {
    const { layers, todos } = setup()
    const draft = draftCollection(layers.createLayer("tx"), todos, "http://collections.test/todos")
    expect(() => draft.insert({ text: "no id" })).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }))
    expect(() => draft.update({ id: "" })).toThrow(/primary key id/)
  })
})

describe("confirm", () => {
  it("retires the layers whose txid the stream echoed, leaving the others pending", () => {
    const { act, layers, todos, confirmed, show } = setup()
    act("tx-1", (draft) => draft.insert({ id: "a", text: "mine" }))
    act("tx-2", (draft) => draft.insert({ id: "b", text: "still pending" }))
    // The echo of tx-1 arrives with the row as the server stored it.
    confirmed.set("a", { id: "a", text: "stored" })
    const affected = layers.confirm(new Set(["tx-1", "someone-else"]))
    expect([...affected.get(todos)!]).toEqual(["a"])
    expect(layers.size).toBe(1)
    expect(show("a")).toEqual({ id: "a", text: "stored" })
    expect(show("b")).toEqual({ id: "b", text: "still pending" })
    expect(layers.confirm(new Set())).toEqual(new Map())
  })
})

describe("roll back (a failed write, or an echo that timed out)", () => {
  it("removes the layer; a later update is re-applied to the new base", () => {
    const { act, layers, confirmed, show } = setup()
    confirmed.set("a", { id: "a", text: "confirmed" })
    const first = act("tx-1", (draft) => draft.update({ id: "a", text: "replaced" }))
    act("tx-2", (draft) => draft.update("a", (row) => ({ ...(row as Row), done: true })))
    expect(show("a")).toEqual({ id: "a", text: "replaced", done: true })
    layers.rollBack(first)
    expect(show("a")).toEqual({ id: "a", text: "confirmed", done: true })
  })

  it("an update whose row is gone once the layer beneath rolls back leaves it absent", () => {
    const { act, layers, show } = setup()
    const insert = act("tx-1", (draft) => draft.insert({ id: "a", text: "optimistic" }))
    act("tx-2", (draft) => draft.update("a", (row) => ({ ...(row as Row), done: true })))
    layers.rollBack(insert)
    expect(show("a")).toBeUndefined()
  })

  it("an update that cannot be re-applied to the new row leaves that row as it is", () => {
    const { act, layers, confirmed, show } = setup()
    confirmed.set("a", { id: "a", text: "confirmed" })
    const first = act("tx-1", (draft) => draft.update({ id: "a", text: "replaced" }))
    act("tx-2", (draft) =>
      draft.update("a", (row) => {
        if ((row as Row).text !== "replaced") throw new Error("only knows the replaced row")
        return { ...(row as Row), done: true }
      })
    )
    layers.rollBack(first)
    expect(show("a")).toEqual({ id: "a", text: "confirmed" })
  })

  it("an update keeps its row's identity while the row beneath is the same one", () => {
    const { act, show } = setup()
    let runs = 0
    act("tx-1", (draft) => draft.insert({ id: "a", text: "x" }))
    act("tx-2", (draft) =>
      draft.update("a", (row) => {
        runs++
        return { ...(row as Row), done: true }
      })
    )
    const shown = show("a")
    expect(show("a")).toBe(shown)
    expect(runs).toBe(1)
  })

  it("a layer already confirmed has nothing to roll back", () => {
    const { act, layers } = setup()
    const layer = act("tx-1", (draft) => draft.delete("a"))
    layers.confirm(new Set(["tx-1"]))
    expect(layers.rollBack(layer)).toEqual(new Map())
    expect(layers.size).toBe(0)
  })
})
