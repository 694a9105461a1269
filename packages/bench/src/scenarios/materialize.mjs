import { ours, referenceState } from "../clients.mjs"
import { median, pairedRatios, settleHeap } from "../stats.mjs"

/** Passes in a full run: each builds all three states once, side by side. */
const PASSES = 21

/** Builds the same event list for everyone: inserts, then updates and some deletes, over `keys` keys. */
function makeEvents(count, keys) {
  const events = new Array(count)
  for (let i = 0; i < count; i++) {
    const key = `k${i % keys}`
    const operation = i < keys ? "insert" : i % 10 === 0 ? "delete" : "update"
    events[i] = { type: i % 2 ? "user" : "task", key, value: { n: i, title: "row title", done: i % 3 === 0 }, headers: { operation } }
  }
  return events
}

/**
 * Scenario 5a: apply State Protocol events to each library's materialized
 * state, and to the floor.
 *
 * The three are built side by side: every batch of events goes to each in
 * turn (who goes first rotates), and each one's time is the sum of its own
 * applies. A million Map operations are memory-bound, and on a shared
 * 2-core host their speed swings by a sixth from one second to the next;
 * built one after another, each contender met a different second, and the
 * ratio of two equal implementations ranged 0.92–1.05 from run to run.
 * Side by side, each pass compares them under the same conditions.
 */
export function materializeScenario({ quick }) {
  const count = quick ? 50_000 : 1_000_000
  const passes = quick ? 3 : PASSES
  const batch = 1000
  const appliers = {
    ours: () => {
      const state = new ours.MaterializedState()
      return { apply: (events) => state.apply(events), state }
    },
    reference: () => {
      const state = new referenceState.MaterializedState()
      return { apply: (events) => state.applyBatch(events), state }
    },
    raw: () => {
      // The floor: the least any materializer does with these events. Per
      // event one lookup of its type's table and one Map operation; no
      // control messages, txids, observers or checks of any kind.
      const tables = new Map()
      const apply = (events) => {
        for (let j = 0; j < events.length; j++) {
          const event = events[j]
          let table = tables.get(event.type)
          if (table === undefined) tables.set(event.type, (table = new Map()))
          if (event.headers.operation === "delete") table.delete(event.key)
          else table.set(event.key, event.value)
        }
      }
      return { apply, state: { get: (type, key) => tables.get(type)?.get(key) } }
    },
  }
  const names = Object.keys(appliers)
  const detail = `${count.toLocaleString("en")} State Protocol events, built side by side batch by batch (median of ${passes} passes); raw: one Map operation per event, nothing else`
  return {
    name: "Materialize",
    detail,
    once: true,
    async measureAll() {
      const events = makeEvents(count, Math.min(100_000, count / 10))
      // What one state keeps, each built alone once. The earlier ones stay
      // alive until all are measured, so each "before" counts them all (one
      // let go might still be held by a stale register, or not).
      const retained = {}
      const kept = []
      for (const name of names) {
        const before = settleHeap()
        const built = appliers[name]()
        for (let i = 0; i < count; i += batch) built.apply(events.slice(i, i + batch))
        retained[name] = (settleHeap() - before) / 1e6
        if (built.state.get("user", "k1") === undefined && built.state.get("task", "k0") === undefined) throw new Error(`${name}: state is empty`)
        kept.push(built)
      }
      kept.length = 0
      const rates = Object.fromEntries(names.map((name) => [name, []]))
      for (let pass = 0; pass < passes; pass++) {
        settleHeap()
        const built = names.map((name) => appliers[name]())
        const spent = names.map(() => 0)
        for (let i = 0, turn = pass; i < count; i += batch, turn++) {
          const slice = events.slice(i, i + batch)
          for (let k = 0; k < names.length; k++) {
            const at = (turn + k) % names.length
            const start = performance.now()
            built[at].apply(slice)
            spent[at] += performance.now() - start
          }
        }
        names.forEach((name, at) => {
          if (built[at].state.get("user", "k1") === undefined) throw new Error(`${name}: state is empty`)
          rates[name].push(count / (spent[at] / 1000))
        })
      }
      // Paired by pass: each pass's own ratio.
      const paired = pairedRatios(Object.fromEntries(names.map((name) => [name, new Map(rates[name].entries())])))
      const row = (metric, better, values, pairs) => ({ scenario: "Materialize", detail, metric, better, ...values, paired: pairs })
      return [
        row("events/s", "higher", Object.fromEntries(names.map((name) => [name, median(rates[name])])), paired),
        row("retained heap MB", "lower", retained),
      ]
    },
    better: { "events/s": "higher", "retained heap MB": "lower" },
  }
}

/** Scenario 5b: cost of one row change reaching a live query over a large collection (ours only). */
export function liveQueryScenario({ quick }) {
  const rows = quick ? 10_000 : 100_000
  const updates = quick ? 200 : 1000
  return {
    name: "Live query update",
    detail: `1 row change in a ${rows.toLocaleString("en")}-row collection (where + orderBy)`,
    contenders: ["ours"],
    async round() {
      const state = new ours.MaterializedState()
      const inserts = []
      for (let i = 0; i < rows; i++) {
        inserts.push({ type: "todo", key: `t${i}`, value: { id: `t${i}`, rank: i, done: i % 2 === 0 }, headers: { operation: "insert" } })
      }
      state.apply(inserts)
      const todos = new ours.Collection("todos", "todo", "id", state)
      const query = todos.query({ where: { done: false }, orderBy: { rank: "desc" }, limit: 50 })
      let notified = 0
      query.subscribe(() => notified++)
      const start = performance.now()
      for (let n = 0; n < updates; n++) {
        const key = `t${(n * 7919) % rows}`
        state.apply([{ type: "todo", key, value: { id: key, rank: rows + n, done: false }, headers: { operation: "update" } }])
        todos.notifyKeysChanged([key])
      }
      const perUpdate = ((performance.now() - start) * 1000) / updates
      query.dispose()
      if (notified < 2) throw new Error("live query never updated")
      return { metrics: { "µs per row change": perUpdate } }
    },
    better: { "µs per row change": "lower" },
  }
}
