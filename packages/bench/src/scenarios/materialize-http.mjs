import { GCProfiler } from "node:v8"
import { createStream, ours, rawAppend, referenceDb, streamUrl } from "../clients.mjs"
import { settleHeap } from "../stats.mjs"

/**
 * Scenario 5c: the number users feel — from nothing in memory to a ready
 * view of a State Protocol stream over HTTP (fetch + parse + validate +
 * apply). Ours: `materialize()` to a ready MaterializedState, and
 * `createStreamDB()` to a ready StreamDB, cold and from a checkpoint taken
 * at 90 % of the stream (only the last 10 % is read). Reference: its
 * StreamDB (TanStack DB collections) until `preload()` resolves. Raw: plain
 * fetch + JSON.parse + one Map per type, no validation: the floor for both.
 *
 * Peak heap is the highest used heap V8 saw during the run (before each GC
 * and at the end), above the settled heap before it.
 */
export function materializeHttpScenario({ serverUrl, quick, count }) {
  const keys = Math.max(1, Math.min(100_000, count / 10))
  const checkpointAt = Math.floor(count * 0.9)
  let url
  let checkpointUrl
  let checkpointText
  const contenders = {
    ours: async () => ({
      MaterializedState: await peak(async () => {
        const view = ours.materialize({ url, schema: oursSchema, live: false })
        await view.ready
        check(view.state.get("task", "k0") ?? view.state.get("user", "k1"), "ours materialize")
        return view
      }),
      StreamDB: await peak(async () => {
        const db = ours.createStreamDB({ url, schema: oursSchema, live: false })
        await db.ready
        check(db.collections.tasks.get("k0") ?? db.collections.users.get("k1"), "ours StreamDB")
        return db
      }),
      checkpoint: await peak(async () => {
        // A storage that hands back the saved checkpoint (parsed, as memoryStorage does) and keeps it unchanged.
        const storage = { load: () => JSON.parse(checkpointText), save: () => undefined, clear: () => undefined }
        const view = ours.materialize({ url: checkpointUrl, schema: oursSchema, live: false, storage })
        await view.ready
        if (view.messagesApplied !== count - checkpointAt) {
          throw new Error(`from the checkpoint, ours applied ${view.messagesApplied} messages, not ${count - checkpointAt}`)
        }
        return view
      }),
    }),
    reference: async () => ({
      StreamDB: await peak(async () => {
        const db = referenceDb.createStreamDB({
          streamOptions: { url, contentType: "application/json" },
          state: referenceSchema,
          live: false,
        })
        await db.preload()
        check(db.collections.tasks.get("k0") ?? db.collections.users.get("k1"), "reference StreamDB")
        return { dispose: () => db.close() }
      }),
    }),
    raw: async () => {
      const result = await peak(async () => {
        const tables = new Map()
        let offset = "-1"
        for (;;) {
          const response = await fetchOnFreshSocket(`${url}?offset=${encodeURIComponent(offset)}`)
          for (const event of JSON.parse(await response.text())) {
            let table = tables.get(event.type)
            if (table === undefined) tables.set(event.type, (table = new Map()))
            if (event.headers.operation === "delete") table.delete(event.key)
            else table.set(event.key, event.value)
          }
          offset = response.headers.get("stream-next-offset")
          if (response.headers.get("stream-up-to-date") === "true") break
        }
        check(tables.get("task")?.get("k0") ?? tables.get("user")?.get("k1"), "raw")
        return undefined
      })
      // One floor for both views: the rows are the same.
      return { MaterializedState: result, StreamDB: result }
    },
  }
  const size = count >= 1_000_000 ? `${count / 1_000_000}M` : `${count / 1000}k`
  return {
    name: `Materialize over HTTP (${size})`,
    // At 1M events a reference round takes most of a minute: three rounds give a median.
    maxRounds: count >= 1_000_000 ? 3 : undefined,
    // A round of a million events takes seconds (the reference's half a minute): nothing to warm up.
    warmupRounds: count >= 1_000_000 ? 0 : undefined,
    detail: `${count.toLocaleString("en")} State Protocol events over ${keys.toLocaleString("en")} keys, cold start to a ready view (fetch + parse + validate + apply); checkpoint at 90 %`,
    async setup() {
      url = streamUrl(serverUrl, `materialize-${size}`)
      await fill(url, 0, count, keys)
      // The checkpoint stream: 90 % written, materialized once and checkpointed, then the rest appended.
      checkpointUrl = streamUrl(serverUrl, `materialize-checkpoint-${size}`)
      await fill(checkpointUrl, 0, checkpointAt, keys)
      let saved
      const storage = { load: () => undefined, save: (_key, checkpoint) => void (saved = JSON.stringify(checkpoint)), clear: () => undefined }
      const view = ours.materialize({ url: checkpointUrl, schema: oursSchema, live: false, storage })
      await view.ready
      await view.dispose()
      if (saved === undefined) throw new Error("no checkpoint was saved")
      checkpointText = saved
      await append(checkpointUrl, checkpointAt, count, keys)
    },
    async round(contender) {
      const measured = await contenders[contender]()
      const metrics = {}
      for (const [view, { ms, peakMB }] of Object.entries(measured)) {
        const label = view === "checkpoint" ? "ready MaterializedState from 90 % checkpoint" : `ready ${view}`
        metrics[`${label} ms`] = ms
        metrics[`${label} peak heap MB`] = peakMB
      }
      return { metrics }
    },
    better: Object.fromEntries(
      ["ready MaterializedState", "ready StreamDB", "ready MaterializedState from 90 % checkpoint"].flatMap((label) => [
        [`${label} ms`, "lower"],
        [`${label} peak heap MB`, "lower"],
      ])
    ),
  }
}

/** Wall time and peak heap of `run`, which returns what it built (disposed after the measurement). */
async function peak(run) {
  const before = settleHeap()
  const profiler = new GCProfiler()
  profiler.start()
  const start = performance.now()
  const built = await run()
  const ms = performance.now() - start
  const used = process.memoryUsage().heapUsed
  const { statistics } = profiler.stop()
  let highest = used
  for (const gc of statistics) highest = Math.max(highest, gc.beforeGC.heapStatistics.usedHeapSize)
  await built?.dispose?.()
  return { ms, peakMB: (highest - before) / 1e6 }
}

function check(row, who) {
  if (row === undefined) throw new Error(`${who}: the view is empty after ready`)
}

/** The same value schema for everyone: a Standard Schema checking the row's shape. */
const rowSchema = {
  "~standard": {
    version: 1,
    vendor: "bench",
    validate: (value) =>
      typeof value === "object" && value !== null && typeof value.id === "string" && typeof value.n === "number"
        ? { value }
        : { issues: [{ message: "not a row" }] },
  },
}
const definition = {
  tasks: { type: "task", primaryKey: "id", schema: rowSchema },
  users: { type: "user", primaryKey: "id", schema: rowSchema },
}
const oursSchema = ours.createStateSchema(definition)
const referenceSchema = referenceDb.createStateSchema(definition)

/** Event i: inserts for the first `keys` events, then updates with every tenth a delete, alternating two types. */
function event(i, keys) {
  const key = `k${i % keys}`
  const operation = i < keys ? "insert" : i % 10 === 0 ? "delete" : "update"
  const value = operation === "delete" ? undefined : { id: key, n: i, title: "row title", done: i % 3 === 0 }
  return { type: i % 2 ? "user" : "task", key, value, headers: { operation } }
}

async function fill(url, from, to, keys) {
  await createStream(url, "application/json")
  await append(url, from, to, keys)
}

/** Appends events [from, to) in bodies of about 1 MiB. */
async function append(url, from, to, keys) {
  let parts = []
  let bytes = 0
  for (let i = from; i < to; i++) {
    const text = JSON.stringify(event(i, keys))
    parts.push(text)
    bytes += text.length + 1
    if (bytes >= 1 << 20 || i === to - 1) {
      await rawAppend(url, `[${parts.join(",")}]`, "application/json")
      parts = []
      bytes = 0
    }
  }
}

/**
 * Plain fetch, sent once more if the pooled keep-alive socket it went out on
 * had been closed by the server (undici's "other side closed"): the least any
 * reader must do, and what happened on a long 1M-event read.
 */
async function fetchOnFreshSocket(input) {
  try {
    return await fetch(input)
  } catch (error) {
    if (error?.cause?.code !== "UND_ERR_SOCKET") throw error
    return fetch(input)
  }
}
