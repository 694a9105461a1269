import { ours, referenceState } from "../clients.mjs"
import { measure, median, settleHeap } from "../stats.mjs"

const PASSES = 5

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

/** Scenario 5a: apply State Protocol events to each library's materialized state. */
export function materializeScenario({ quick }) {
  const count = quick ? 50_000 : 1_000_000
  // Built in setup and let go in teardown: a million live events held from the
  // start of the run made every other scenario's garbage collections slower.
  let events = []
  const batch = 1000
  const contenders = {
    ours: () => {
      const state = new ours.MaterializedState()
      for (let i = 0; i < count; i += batch) state.apply(events.slice(i, i + batch))
      return state
    },
    reference: () => {
      const state = new referenceState.MaterializedState()
      for (let i = 0; i < count; i += batch) state.applyBatch(events.slice(i, i + batch))
      return state
    },
    raw: () => {
      // The floor: the least any materializer does with these events. Per
      // event one lookup of its type's table and one Map operation; no
      // control messages, txids, observers or checks of any kind.
      const tables = new Map()
      for (let i = 0; i < count; i += batch) {
        const slice = events.slice(i, i + batch)
        for (let j = 0; j < slice.length; j++) {
          const event = slice[j]
          let table = tables.get(event.type)
          if (table === undefined) tables.set(event.type, (table = new Map()))
          if (event.headers.operation === "delete") table.delete(event.key)
          else table.set(event.key, event.value)
        }
      }
      return { get: (type, key) => tables.get(type)?.get(key) }
    },
  }
  return {
    name: "Materialize",
    detail: `${count.toLocaleString("en")} State Protocol events (median of 5 passes a round); raw: one Map operation per event, nothing else`,
    // Each round's five passes warm up on their own, and a process that has built a million-entry
    // state a dozen times slows down for both contenders (~14 M events/s falls to ~10 M by the
    // ninth round): a warm-up round would only push the counted ones into that.
    warmupRounds: 0,
    async setup() {
      events = makeEvents(count, Math.min(100_000, count / 10))
    },
    async teardown() {
      events = []
    },
    async round(contender) {
      // A pass takes ~80 ms and its time swings by half with where the
      // collector happens to run: each round is the median of five passes.
      const times = []
      let retained = 0
      for (let pass = 0; pass < PASSES; pass++) {
        const before = settleHeap()
        const { wallMs, result: state } = await measure(async () => contenders[contender]())
        // The first pass only: a later one's "before" may still count the last pass's state (a stale register is a root).
        if (pass === 0) retained = settleHeap() - before
        if (state.get("user", "k1") === undefined && state.get("task", "k0") === undefined) throw new Error("state is empty")
        times.push(wallMs)
      }
      return { metrics: { "events/s": count / (median(times) / 1000), "retained heap MB": retained / 1e6 } }
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
