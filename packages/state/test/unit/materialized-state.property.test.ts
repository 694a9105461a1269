import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { MaterializedState, type StateMessage, type StateSnapshot } from "../../src/index"
import { control, del, ins, upd } from "../support/messages"

/**
 * The reference model: per-type Maps, changes inside a snapshot held in a
 * plain list until its end. Written independently of MaterializedState.
 */
class ModelState {
  readonly tables = new Map<string, Map<string, unknown>>()
  held: StateMessage[] | undefined

  apply(message: StateMessage): void {
    const headers = message.headers as { control?: string; operation?: string }
    if (headers.control === "snapshot-start") {
      if (this.held === undefined) this.held = []
    } else if (headers.control === "snapshot-end") {
      const held = this.held ?? []
      this.held = undefined
      for (const change of held) this.change(change)
    } else if (headers.control === "reset") {
      this.held = undefined
      this.tables.clear()
    } else if (this.held !== undefined) {
      this.held.push(message)
    } else {
      this.change(message)
    }
  }

  private change(message: StateMessage): void {
    const { type, key, value, headers } = message as { type: string; key: string; value: unknown; headers: { operation: string } }
    if (!this.tables.has(type)) this.tables.set(type, new Map())
    if (headers.operation === "delete") this.tables.get(type)!.delete(key)
    else this.tables.get(type)!.set(key, value)
  }
}

type Contents = Record<string, Array<[string, unknown]>>

function modelContents(model: ModelState): Contents {
  const out: Contents = {}
  for (const [type, rows] of model.tables) if (rows.size > 0) out[type] = [...rows]
  return out
}

function stateContents(state: MaterializedState): Contents {
  const out: Contents = {}
  for (const type of state.types()) out[type] = [...state.entries(type)]
  return out
}

/** Keeps a copy of the state built only from the change feed. */
function mirrorOf(state: MaterializedState): Map<string, Map<string, unknown>> {
  const mirror = new Map<string, Map<string, unknown>>()
  state.subscribe((changes) => {
    for (const change of changes) {
      if (!mirror.has(change.type)) mirror.set(change.type, new Map())
      const table = mirror.get(change.type)!
      if (change.operation === "delete") {
        expect(table.has(change.key)).toBe(true)
        expect(table.get(change.key)).toEqual(change.previous)
        table.delete(change.key)
      } else {
        expect(table.has(change.key)).toBe(change.operation === "update")
        if (change.operation === "update") expect(table.get(change.key)).toEqual(change.previous)
        table.set(change.key, change.value)
      }
    }
  })
  return mirror
}

function mirrorContents(mirror: Map<string, Map<string, unknown>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [type, rows] of mirror) if (rows.size > 0) out[type] = Object.fromEntries(rows)
  return out
}

function asObjects(contents: Contents): Record<string, Record<string, unknown>> {
  return Object.fromEntries(Object.entries(contents).map(([type, rows]) => [type, Object.fromEntries(rows)]))
}

const types = fc.constantFrom("user", "team", "doc")
const keys = fc.constantFrom("a", "b", "c", "d")
const values = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.constantFrom("x", "y", ""),
  fc.constant(null),
  fc.record({ n: fc.integer({ min: 0, max: 3 }), tag: fc.constantFrom("p", "q") })
)

const change: fc.Arbitrary<StateMessage> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(types, keys, values).map(([t, k, v]) => ins(t, k, v)) },
  { weight: 3, arbitrary: fc.tuple(types, keys, values).map(([t, k, v]) => upd(t, k, v)) },
  { weight: 3, arbitrary: fc.tuple(types, keys).map(([t, k]) => del(t, k)) }
)

/**
 * One step: a change, a rare reset, a whole snapshot (start, changes, end),
 * or a rare unpaired marker (a second start inside a snapshot continues it;
 * an end without a start does nothing).
 */
const step: fc.Arbitrary<StateMessage[]> = fc.oneof(
  { weight: 12, arbitrary: change.map((m) => [m]) },
  { weight: 1, arbitrary: fc.constant<StateMessage[]>([control("reset")]) },
  { weight: 1, arbitrary: fc.constantFrom<StateMessage[]>([control("snapshot-start")], [control("snapshot-end")]) },
  {
    weight: 2,
    arbitrary: fc
      .array(change, { maxLength: 6 })
      .map((inner) => [control("snapshot-start"), ...inner, control("snapshot-end")]),
  }
)

const sequence = fc.array(step, { maxLength: 30 }).map((steps) => steps.flat())

/** Cuts a list into consecutive apply() batches at the given positions. */
function batches<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (items.length + 1)))].sort((a, b) => a - b)
  const out: T[][] = []
  let from = 0
  for (const point of [...points, items.length]) {
    out.push(items.slice(from, point))
    from = point
  }
  return out
}

const cuts = fc.array(fc.nat(), { maxLength: 6 })

describe("MaterializedState against a model", () => {
  it("ends in the model's state for any sequence and any batching", () => {
    fc.assert(
      fc.property(sequence, cuts, (messages, batchCuts) => {
        const model = new ModelState()
        const state = new MaterializedState()
        const mirror = mirrorOf(state)
        for (const batch of batches(messages, batchCuts)) {
          state.apply(batch)
          for (const message of batch) model.apply(message)
          // After every batch, not just at the end.
          expect(stateContents(state)).toEqual(modelContents(model))
          expect(state.inSnapshot).toBe(model.held !== undefined)
          // The change feed alone reconstructs the state.
          expect(mirrorContents(mirror)).toEqual(asObjects(modelContents(model)))
        }
      }),
      { numRuns: 300 }
    )
  })

  it("continues to the same state after a checkpoint at any point, restored into a new instance", () => {
    fc.assert(
      fc.property(sequence, fc.nat(), cuts, (messages, cutAt, batchCuts) => {
        const cut = cutAt % (messages.length + 1)
        const model = new ModelState()
        for (const message of messages) model.apply(message)

        const first = new MaterializedState()
        for (const batch of batches(messages.slice(0, cut), batchCuts)) first.apply(batch)
        const text = JSON.stringify(first.toJSON())

        const second = new MaterializedState()
        const mirror = mirrorOf(second)
        second.restore(JSON.parse(text) as StateSnapshot)
        expect(stateContents(second)).toEqual(stateContents(first))
        expect(second.inSnapshot).toBe(first.inSnapshot)
        for (const batch of batches(messages.slice(cut), batchCuts)) second.apply(batch)

        expect(stateContents(second)).toEqual(modelContents(model))
        expect(second.inSnapshot).toBe(model.held !== undefined)
        expect(mirrorContents(mirror)).toEqual(asObjects(modelContents(model)))
      }),
      { numRuns: 300 }
    )
  })

  it("observers are never shown part of a snapshot", () => {
    fc.assert(
      fc.property(sequence, cuts, (messages, batchCuts) => {
        const state = new MaterializedState()
        const model = new ModelState()
        // The states an observer may legitimately see: the model between whole steps outside snapshots.
        const allowed = new Set<string>([JSON.stringify(modelContents(model))])
        for (const message of messages) {
          model.apply(message)
          if (model.held === undefined) allowed.add(JSON.stringify(modelContents(model)))
        }
        state.subscribe(() => {
          expect(allowed.has(JSON.stringify(stateContents(state)))).toBe(true)
        })
        for (const batch of batches(messages, batchCuts)) state.apply(batch)
      }),
      { numRuns: 300 }
    )
  })
})
