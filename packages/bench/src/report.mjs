import { cpus, totalmem } from "node:os"
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

/** ours ÷ other, oriented so that > 1 always means "ours is better". */
export function advantage(row, other) {
  const theirs = row[other]
  if (row.ours === undefined || theirs === undefined || theirs === 0 || row.ours === 0) return undefined
  return row.better === "lower" ? theirs / row.ours : row.ours / theirs
}

const format = (value) =>
  value === undefined ? "—" : Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 10 ? value.toFixed(1) : value.toFixed(2)
const ratio = (value) => (value === undefined ? "—" : `${value.toFixed(2)}×`)

const columns = ["scenario", "metric", "ours", "reference", "raw", "vs reference", "vs raw"]

function cells(row) {
  return [row.scenario, row.metric, format(row.ours), format(row.reference), format(row.raw), ratio(advantage(row, "reference")), ratio(advantage(row, "raw"))]
}

export function renderTable(rows) {
  const body = rows.map(cells)
  const widths = columns.map((title, i) => Math.max(title.length, ...body.map((line) => line[i].length)))
  const line = (values) => values.map((value, i) => (i < 2 ? value.padEnd(widths[i]) : value.padStart(widths[i]))).join("  ")
  return [line(columns), widths.map((width) => "-".repeat(width)).join("  "), ...body.map(line)].join("\n")
}

function versionOf(name) {
  try {
    return require(`${name}/package.json`).version
  } catch {
    return "?"
  }
}

export function renderMarkdown(rows, { rounds }) {
  const header = `| ${columns.join(" | ")} |\n|${columns.map((_, i) => (i < 2 ? "---" : "---:")).join("|")}|`
  const table = rows.map((row) => `| ${cells(row).join(" | ")} |`).join("\n")
  return `# Benchmarks

Measured by \`pnpm bench\` (packages/bench). Every scenario runs durable-client ("ours"),
the reference client \`@durable-streams/client\` / \`@durable-streams/state\` ("reference") and,
where it applies, plain \`fetch\` + \`JSON.parse\` ("raw"), in one process, interleaved over
${rounds} rounds; values are medians. The reference server runs in a separate process on
loopback, so CPU and heap figures are the client's alone.

"vs reference" and "vs raw" are oriented so that **above 1× means ours is better**
(higher throughput, or lower latency / CPU / memory / size).

## Machine

- CPU: ${cpus()[0]?.model ?? "?"} (${cpus().length} cores), memory ${(totalmem() / 2 ** 30).toFixed(0)} GiB
- Node ${process.version}
- @durable-client/* ${versionOf("@durable-client/collections")}, @durable-streams/client ${versionOf("@durable-streams/client")}, @durable-streams/state ${versionOf("@durable-streams/state")}, @durable-streams/server ${versionOf("@durable-streams/server")}
- Date: ${new Date().toISOString().slice(0, 10)}

## Results

${table}

${renderGoals(rows)}

${CDN_NOTES}

![ratios](./benchmarks.svg)

## Reproduce

\`\`\`sh
pnpm install
pnpm bench            # full run, rewrites this file and the chart
pnpm bench --quick    # small sizes, one round (what CI runs)
pnpm bench --only latency --rounds 3
\`\`\`
`
}

const CDN_NOTES = `## Behind a CDN

"Behind a CDN" puts the readers behind nginx with the root README's cache configuration
(\`startCachingProxy\` from packages/testing), with a request counter between nginx and the
reference server, and reads one stream with each client in turn:

- **long-poll**: origin GETs per append is what the cache could not collapse (1.00: one origin
  request per append, however many readers). Delivery latency is append → message at each reader,
  over every reader and message; most of it is nginx's, which wakes requests queued on its cache
  lock every 500 ms.
- **SSE from -1**: bytes the origin sent until every reader was up to date with the stream's
  history and its SSE connection open, and the connections it then holds. One catch-up shared by
  all is the floor; readers that each stream the history from the origin multiply it by their
  number. The connections are SSE's price: one per reader, cache or not.`

/** The goals of issue 8, checked against this run. */
const GOALS = [
  { scenario: "Producer throughput", metric: "messages/s", against: "reference", target: 1.5, goal: "producer throughput ≥ 1.5× the reference" },
  { scenario: "Catch-up read (JSON)", metric: "messages/s", against: "raw", target: 0.8, goal: "JSON catch-up ≥ 0.8× raw fetch + JSON.parse" },
  { scenario: "Catch-up read (bytes)", metric: "MB/s", against: "raw", target: 0.8, goal: "byte catch-up ≥ 0.8× raw fetch + arrayBuffer" },
  { scenario: "Live latency (sse)", metric: "p50 ms", against: "reference", target: 1, goal: "SSE latency p50 ≤ the reference" },
  { scenario: "Live latency (long-poll)", metric: "p50 ms", against: "reference", target: 1, goal: "long-poll latency p50 ≤ the reference" },
  { scenario: "Materialize", metric: "events/s", against: "reference", target: 2, goal: "materialize ≥ 2× the reference" },
  { scenario: "Fan-out", metric: "heap KB / idle reader", against: "reference", target: 2, goal: "heap per idle live reader ≤ 0.5× the reference" },
  { scenario: "Bundle size (min+gzip)", metric: "bytes layer, KB", absolute: 6, goal: "@durable-client/bytes ≤ 6 KB min+gzip" },
  { scenario: "Bundle size (min+gzip)", metric: "full stack (collections), KB", absolute: 15, goal: "full four-layer stack ≤ 15 KB min+gzip" },
  // Issue 15, items 1 and 4.
  { scenario: "Producer throughput", metric: "messages/s", against: "raw", target: 0.9, goal: "producer ≥ 0.9× raw (1 MiB bodies built before timing)" },
  { scenario: "Materialize", metric: "events/s", against: "reference", target: 1, goal: "in-memory materialize ≥ 1× the reference" },
  ...["100k", "1M"].flatMap((size) => [
    { scenario: `Materialize over HTTP (${size})`, metric: "ready StreamDB ms", against: "reference", target: 1.5, goal: `${size} events, cold start to a ready StreamDB ≥ 1.5× faster than the reference` },
    { scenario: `Materialize over HTTP (${size})`, metric: "ready StreamDB peak heap MB", against: "reference", target: 1, goal: `${size} events, StreamDB peak heap below the reference's` },
  ]),
]

function renderGoals(rows) {
  const lines = GOALS.map((goal) => {
    const row = rows.find((r) => r.scenario === goal.scenario && r.metric === goal.metric)
    if (!row) return `| ${goal.goal} | not measured | — |`
    if (goal.absolute !== undefined) {
      const met = row.ours <= goal.absolute
      return `| ${goal.goal} | ${format(row.ours)} KB | ${met ? "met" : `missed by ${format(row.ours - goal.absolute)} KB`} |`
    }
    const value = advantage(row, goal.against)
    const met = value !== undefined && value >= goal.target
    return `| ${goal.goal} | ${ratio(value)} | ${met ? "met" : "missed"} |`
  })
  return `## Goals (this run)

| goal | measured (above 1× = ours better) | |
|---|---:|---|
${lines.join("\n")}

Why the misses are where they are (see the closing notes of issue 8 for the measurements behind this):

- **Producer throughput** is bound by the server: in the same run raw \`fetch\` posting
  pre-built batches is only modestly faster than either client, so no client can be 1.5× the
  reference here. Ours uses less client CPU per message than the reference in most runs.
- **Materialize**: the reference applies each event with a single \`Map.set\`/\`delete\`, the
  least work possible; ours does the same on the replay path (no observers), so the two are at
  parity within this machine's noise. 2× would need skipping work the protocol requires.
- **Heap per idle reader**: one bare \`fetch\` SSE connection (undici socket, parser, request
  state) already costs ~15 KB, about 0.42× of the reference's total; the 0.5× target leaves
  ~3 KB for a whole client. Ours adds ~9 KB (session, retry state, SSE parser, promises).
- **Bundle size**: ours is 1.4× smaller than the reference client and 3.6× smaller than its
  StreamDB stack, but over the targets: the required SSE parser is ~1.3 KB of the bytes layer,
  and the rest is the read state machine (catch-up, long-poll, SSE, auto with fallbacks,
  retries, cancellation). Closing the gap needs a slimming pass of its own.`
}

/** Horizontal bars of "ours vs reference" advantage per metric, log scale, 1× marked. */
export function renderChart(rows) {
  const bars = rows
    .map((row) => ({ label: `${row.scenario}: ${row.metric}`, value: advantage(row, "reference") }))
    .filter((bar) => bar.value !== undefined)
  const width = 760
  const labelWidth = 380
  const barHeight = 22
  const height = 40 + bars.length * barHeight + 30
  const scale = (value) => (Math.log10(value) + 1) / 2 // 0.1× … 10× on a log axis
  const x = (value) => labelWidth + Math.max(0, Math.min(1, scale(value))) * (width - labelWidth - 60)
  const one = x(1)
  const items = bars
    .map((bar, i) => {
      const y = 40 + i * barHeight
      const end = x(bar.value)
      const left = Math.min(one, end)
      const colour = bar.value >= 1 ? "#2f855a" : "#c53030"
      return `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escape(bar.label)}</text>
<rect x="${left}" y="${y + 4}" width="${Math.max(1, Math.abs(end - one))}" height="${barHeight - 8}" fill="${colour}"/>
<text x="${Math.max(end, one) + 4}" y="${y + 15}">${bar.value.toFixed(2)}×</text>`
    })
    .join("\n")
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="14" font-weight="bold">durable-client vs @durable-streams reference (above 1× = ours better, log scale)</text>
<line x1="${one}" y1="30" x2="${one}" y2="${height - 20}" stroke="#333" stroke-dasharray="4 3"/>
<text x="${one}" y="${height - 6}" text-anchor="middle">1×</text>
${items}
</svg>
`
}

function escape(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
}
