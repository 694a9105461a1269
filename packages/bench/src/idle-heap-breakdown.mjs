#!/usr/bin/env node
// `node --expose-gc src/idle-heap-breakdown.mjs [sse|long-poll] [readers]`:
// where an idle live reader's heap goes beyond the bare-fetch floor. Opens
// `readers` idle readers of each kind (ours: JsonStream, forEach; the floor:
// one bare fetch holding the live request), takes a heap snapshot after GC
// for each, and prints ours minus the floor per kind of object, per reader.
// What the fan-out scenario measures as one number, this explains.
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { writeHeapSnapshot } from "node:v8"
import { createStream, ours, streamUrl } from "./clients.mjs"
import { startServer } from "./server.mjs"
import { settleHeap } from "./stats.mjs"

const live = process.argv[2] ?? "sse"
const readers = Number(process.argv[3] ?? 300)

const open = {
  floor: (url, tail) => {
    const controller = new AbortController()
    const { signal } = controller
    const hold = async () => {
      if (live === "sse") {
        const reader = (await fetch(`${url}?live=sse&offset=now`, { signal })).body.getReader()
        while (!(await reader.read()).done);
      } else {
        await (await fetch(`${url}?live=long-poll&offset=${encodeURIComponent(tail)}`, { signal })).text()
      }
    }
    void hold().catch(() => undefined)
    return () => controller.abort()
  },
  ours: (url) => {
    const session = new ours.JsonStream({ url }).read({ offset: "now", live })
    void session.forEach(() => undefined).catch(() => undefined)
    return () => session.cancel()
  },
}

/** Snapshot with `readers` idle readers of `kind` open; returns its path. */
async function snapshot(serverUrl, kind, dir) {
  const url = streamUrl(serverUrl, `breakdown-${kind}`)
  await createStream(url, "application/json")
  const tail = (await fetch(url, { method: "HEAD" })).headers.get("stream-next-offset")
  const stops = Array.from({ length: readers }, () => open[kind](url, tail))
  // Past undici's 4 s keep-alive: the catch-up's pooled socket is gone.
  await new Promise((resolve) => setTimeout(resolve, 6000))
  settleHeap()
  const file = writeHeapSnapshot(join(dir, `${kind}.heapsnapshot`))
  await Promise.all(stops.map((stop) => stop()))
  stops.length = 0
  return file
}

/** Self size per (node type, name) over a whole snapshot. */
function sizesByKind(file) {
  const snap = JSON.parse(readFileSync(file, "utf8"))
  const fields = snap.snapshot.meta.node_fields
  const types = snap.snapshot.meta.node_types[0]
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((field) => fields.indexOf(field))
  const sizes = new Map()
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt]]
    const name = /string|number|code/.test(type) ? "" : snap.strings[snap.nodes[i + nameAt]]
    const key = `${type}:${name}`
    sizes.set(key, (sizes.get(key) ?? 0) + snap.nodes[i + sizeAt])
  }
  return sizes
}

const BUCKETS = [
  ["compiled code (fixed, not per reader)", (type) => type === "code"],
  ["strings and numbers", (type) => /string|number/.test(type)],
  [
    "suspended generators and async frames (register files), their promises",
    (type, name) =>
      (type === "array" && name === "") ||
      (type === "object" && /Generator|readLoop|Transport|readSseEvents|^Promise$/.test(name)) ||
      /AsyncGeneratorRequest|PromiseReaction/.test(name),
  ],
  ["AbortSignals (event maps, listeners, weak refs)", (_, name) => /EventTarget|Listener|AbortController|WeakRef|WeakCell|WeakArrayList|^Map$/.test(name)],
  ["closures and their contexts", (type, name) => type === "closure" || name === "system / Context"],
  ["timers", (_, name) => /Timeout|FastTimer|TimersList/.test(name)],
  ["hidden classes and property stores", (_, name) => /system \/ Map|DescriptorArray|PropertyArray|object properties|object elements|AccessorPair/.test(name)],
  ["undici, sockets and buffers beyond the floor's", (_, name) => /Client|Socket|Parser|Readable|Writable|PerformanceResourceTiming|ArrayBuffer|Uint8Array|Request|Response|Headers/.test(name)],
  ["session objects and the rest (session, supervisor, recovery, health, options, position)", () => true],
]

const dir = mkdtempSync(join(tmpdir(), "idle-heap-"))
const server = await startServer({ BENCH_LONG_POLL_MS: "60000" })
try {
  // Warm both paths up, so compiled code is mostly in both snapshots.
  for (const kind of ["floor", "ours"]) {
    const url = streamUrl(server.url, "breakdown-warm")
    await createStream(url, "application/json")
    const tail = (await fetch(url, { method: "HEAD" })).headers.get("stream-next-offset")
    const stops = Array.from({ length: 30 }, () => open[kind](url, tail))
    await new Promise((resolve) => setTimeout(resolve, 1000))
    await Promise.all(stops.map((stop) => stop()))
  }
  const floor = sizesByKind(await snapshot(server.url, "floor", dir))
  const mine = sizesByKind(await snapshot(server.url, "ours", dir))
  const totals = new Map(BUCKETS.map(([label]) => [label, 0]))
  for (const key of new Set([...floor.keys(), ...mine.keys()])) {
    const [type, ...rest] = key.split(":")
    const name = rest.join(":")
    const label = BUCKETS.find(([, test]) => test(type, name))[0]
    totals.set(label, totals.get(label) + (mine.get(key) ?? 0) - (floor.get(key) ?? 0))
  }
  console.log(`${live}: heap per idle reader, ours minus the bare-fetch floor (${readers} readers each, after GC)`)
  let perReader = 0
  for (const [label, bytes] of [...totals].sort((a, b) => b[1] - a[1])) {
    console.log(`${(bytes / readers / 1024).toFixed(2).padStart(7)} KB  ${label}`)
    if (!label.startsWith("compiled")) perReader += bytes / readers
  }
  console.log(`${(perReader / 1024).toFixed(2).padStart(7)} KB  in all, compiled code aside`)
} finally {
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
}
