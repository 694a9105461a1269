import { cpus, totalmem } from "node:os"
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

/**
 * ours ÷ other, oriented so that > 1 always means "ours is better": the
 * median of the rounds' own ratios where the run kept them (`paired`, see
 * main.mjs), otherwise the quotient of the figures.
 */
export function advantage(row, other) {
  const theirs = row[other]
  if (row.ours === undefined || theirs === undefined || theirs === 0 || row.ours === 0) return undefined
  const quotient = row.paired?.[other] ?? row.ours / theirs
  return row.better === "lower" ? 1 / quotient : quotient
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

/**
 * A Markdown table: a header row, then the delimiter row, then the body. (The
 * Results table once lost its header and delimiter rows, and GitHub rendered
 * it as plain text: a table without both is not a table.)
 */
export function markdownTable(titles, body, align = titles.map(() => "left")) {
  const escapeCell = (cell) => String(cell).replace(/\|/g, "\\|")
  const line = (cells) => `| ${cells.map(escapeCell).join(" | ")} |`
  const delimiter = `|${align.map((side) => (side === "right" ? "---:" : "---")).join("|")}|`
  return [line(titles), delimiter, ...body.map(line)].join("\n")
}

export function renderMarkdown(rows, { rounds }) {
  const table = markdownTable(
    columns,
    rows.map(cells),
    columns.map((_, i) => (i < 2 ? "left" : "right"))
  )
  return `# Benchmarks

Measured by \`pnpm bench\` (packages/bench). Every scenario runs durable-client ("ours"),
the reference client \`@durable-streams/client\` / \`@durable-streams/state\` ("reference") and,
where it applies, the floor ("raw": plain \`fetch\` doing the least the task needs, such as
\`fetch\` + \`JSON.parse\`, or one bare idle request per reader), in one process, interleaved over
${rounds} rounds after one uncounted warm-up round (the producer, whose rounds are short and noisy: 5 warm-up rounds, then at least 21, each contender in a process of its own; the JSON catch-up: at least 15; a million-event materialize over HTTP: 3 rounds, no warm-up; the fan-outs: none, they warm up in setup; the in-memory materialize builds its three states side by side, batch by batch, 21 times); values are medians, and each ratio is the median of the rounds' own ratios (contenders run back to back in a round, so what drifts during a run cancels out of them; it can differ a little from the quotient of the two medians shown). Each scenario has a Node process of its own, so nothing one
leaves in the heap slows another's garbage collections, and a reference server of its own in a
separate process on loopback, so CPU and heap figures are the client's alone.

"vs reference" and "vs raw" are oriented so that **above 1× means ours is better**
(higher throughput, or lower latency / CPU / memory / size). Against the floor, 1× is the best a
client can do.

## Machine

- CPU: ${cpus()[0]?.model ?? "?"} (${cpus().length} cores), memory ${(totalmem() / 2 ** 30).toFixed(0)} GiB
- Node ${process.version}
- @durable-client/* ${versionOf("@durable-client/collections")}, @durable-streams/client ${versionOf("@durable-streams/client")}, @durable-streams/state ${versionOf("@durable-streams/state")}, @durable-streams/server ${versionOf("@durable-streams/server")}
- Date: ${new Date().toISOString().slice(0, 10)}

## Results

${table}

${renderGoals(rows)}

${FLOOR_NOTES}

${CDN_NOTES}

![ours vs the reference and vs the floor](./benchmarks.svg)

## Reproduce

\`\`\`sh
pnpm install
pnpm bench            # full run, rewrites this file and the chart
pnpm bench --quick    # small sizes, one warm-up round and one counted (what CI runs)
pnpm bench --only latency --rounds 3
\`\`\`
`
}

const FLOOR_NOTES = `## The floors

- **Producer**: "raw" POSTs the messages as 1 MiB JSON bodies built before the clock starts, one
  request at a time: no serialisation, no per-message promise, nothing but the server's work and
  the transfer. A producer is handed values, so it must at least \`JSON.stringify\` and UTF-8
  encode each one: "serialise only" is that cost alone in this process; "values in (raw:
  serialising)" is the pre-built floor with serialisation inside the clock, one request at a time,
  and "values in (raw: serialising, pipelined)" keeps up to five requests in flight, in order (with
  producer headers; a body that overtakes an earlier one is sent again), and builds the next body
  while the last one is written: the most a producer taking values can make of two cores, without
  per-message acknowledgement, retries, deadlines or linger. Ours also gives each append a receipt
  of its own outcome (a promise only when awaited) and keeps the bookkeeping that makes retries
  exactly-once. On this machine the client's garbage collection runs on the core the server needs,
  so every byte the client allocates per message slows the server too.
- **Bundle size** (\`pnpm size --modules\`: each module's minified bytes and what the min+gzip
  total loses without it, from the sources): the bytes layer is the read state machine with its
  supervisor and session, option resolution and validation, the HTTP core with its deadlines and
  redirect rules, the handle's verbs, \`fork\`, \`appendStream\`, typed errors with redaction, SSE,
  lifecycle pausing and retries; the published builds shorten private member names. "Without
  texts" empties every string literal and template text of the bundle (it no longer runs): the
  code alone, a bound no rewording of messages goes under. "Reading alone" is what an app that
  only reads bundles (ours: \`ReadSession\`, which the layers above build on; the reference: its
  \`stream()\`), the one thing every user of the layer does. The reference's state entry ships no
  client, so its state row is its client and that entry together. There is no raw floor for size:
  the goals' verdicts compare with the smallest either client ships. Opt-in features ship in their
  own entries (\`/tab-sharing\`, \`/outbox\`, \`/writable\`, \`/indexeddb\`) and are not in these
  figures.
- **Live latency (sse / long-poll)**: the writer is raw \`fetch\` for every contender, so only the
  reader differs. "raw" is a bare \`fetch\` loop: long-poll GETs at the tail with the cursor,
  or one SSE response read with the least parsing that finds each \`data\` event (no reconnects,
  control events, offsets or deadlines).
- **Fan-out (sse / long-poll)**: "raw" is one bare \`fetch\` per reader holding its live request
  and nothing else: the \`live=sse\` response with its body reader open, or a \`live=long-poll\`
  GET at the tail (re-polled on each answer). Heap is measured after GC, once every reader is
  connected and idle (the catch-up request's pooled keep-alive socket closed).
- **What an idle reader holds** (\`node --expose-gc src/idle-heap-breakdown.mjs sse|long-poll\`: heap
  snapshots after GC, ours minus a bare fetch): a read session is one state-machine object (no
  async generator, suspended async function or per-session closure chain), one \`AbortController\`
  for the request in flight, one listener on the caller's signal (if given) and one timer shared by
  the deadline, backoffs and the wake check. Beyond the floor a long-poll reader keeps ~2.5 KB: the
  session object (~0.55 KB), its position, resolved options, lifecycle and health snapshot
  (~0.3 KB), the JSON session (~0.07 KB), \`forEach\`'s promise and callbacks (~0.3 KB), the fetch
  callbacks (~0.15 KB), the timer (~0.18 KB), undici's abort listener left on the reused signal by
  the catch-up request (~0.25 KB, freed by its finalizer) and the handle objects the bench creates
  per reader (~0.25 KB); SSE adds its body reader, a \`TextDecoder\` and the parser's state.
- **Materialize** (in memory): "raw" is the least any materializer does with the same events: per
  event, one lookup of its type's table and one \`Map\` set or delete; no control messages, txids,
  observers or checks. The reference does exactly that plus a destructuring and a \`switch\`;
  ours adds a check for control messages and txids. When all three run at the same rate, the
  \`Map\` operations are the whole cost. The three are built side by side (each batch goes to
  each in turn), because a million memory-bound \`Map\` operations swing by a sixth from one
  second to the next on a shared host, and built one after another they met different seconds.
- **Large catch-up**: a 200 MiB stream that the server sends in responses of at most 8 MiB (the
  bench server caps responses under \`/bench/large-\`, as a production server does; the reference
  test server would send it all at once). "Peak live heap" is heap plus array buffers after a full
  GC at each response, over the heap before the read: what the reader still holds. A reader that
  kept the stream would grow with it; ours stays within one response (bytes) or one response and
  its parsed messages (JSON), like raw \`fetch\`.`

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

/**
 * The goals of issue 15, checked against this run's rows. A goal matches
 * rows by scenario and metric (a string is an exact name, a RegExp a
 * family, such as both live modes); it holds when every matching row that
 * has the comparison meets it, and is "not measured" when none does. Rows
 * other scenarios add later need no change here unless they carry a goal.
 *
 * A goal may name `outOfReach`: a measurement of the same run that shows no
 * client can meet it here. When the goal is missed and that measurement
 * holds, the verdict says so and why; when it does not hold, a miss is a miss.
 */
const GOALS = [
  {
    goal: "producer ≥ 0.9× raw",
    scenario: "Producer throughput",
    metric: "messages/s",
    against: "raw",
    target: 0.9,
    // The least a producer handed values must do (serialise them, keep them in order) with nothing else.
    outOfReach: (rows) => {
      const prebuilt = find(rows, "Producer throughput", "messages/s")?.raw
      const takingValues = find(rows, "Producer throughput", "messages/s, values in (raw: serialising, pipelined)")?.raw
      if (!(prebuilt > 0 && takingValues > 0) || takingValues / prebuilt >= 0.9) return undefined
      return `raw fetch taking values (serialising, pipelined, in order, nothing else) makes ${ratio(takingValues / prebuilt)} raw`
    },
  },
  { goal: "JSON catch-up ≥ 0.95× raw", scenario: "Catch-up read (JSON)", metric: "messages/s", against: "raw", target: 0.95 },
  { goal: "byte catch-up ≥ 0.95× raw", scenario: "Catch-up read (bytes)", metric: "MB/s", against: "raw", target: 0.95 },
  // A multiple of the floor reads better as ours ÷ raw than on the "ours better" scale.
  { goal: "idle SSE reader heap ≤ 1.25× the floor", scenario: "Fan-out (sse)", metric: "heap KB / idle reader", against: "raw", atMost: 1.25 },
  { goal: "idle long-poll reader heap ≤ 1.25× the floor", scenario: "Fan-out (long-poll)", metric: "heap KB / idle reader", against: "raw", atMost: 1.25 },
  // The layer reads, writes and more; the smallest reading either client ships, without a single text, is the bound.
  sizeGoal("@durable-client/bytes ≤ 6 KB min+gzip", "bytes layer, KB", 6, (size) => {
    const reading = size("reading alone without texts, KB")
    const least = smaller([reading?.ours, "ours, `ReadSession`"], [reading?.reference, "the reference's `stream()`"])
    if (least === undefined || least[0] <= 6) return undefined
    return `reading alone, without a single text, is ${format(least[0])} KB in the smaller client (${least[1]}), before any write`
  }),
  // A full stack is a client with the State Protocol plus live queries: the smallest of each either client ships, together.
  sizeGoal("full four-layer stack ≤ 15 KB min+gzip", "full stack (collections), KB", 15, (size) => {
    const state = size("state layer (client + State Protocol), KB")
    const full = size("full stack (collections), KB")
    if (!(state?.ours > 0 && state?.reference > 0 && full?.ours > 0 && full?.reference > 0)) return undefined
    const client = smaller([state.ours, "ours"], [state.reference, "the reference's"])
    const queries = smaller([full.ours - state.ours, "ours"], [full.reference - state.reference, "the reference's"])
    const least = client[0] + queries[0]
    if (least <= 15) return undefined
    return `the smallest client with the State Protocol (${client[1]}, ${format(client[0])} KB) and the smallest live-query layer on top (${queries[1]}, ${format(queries[0])} KB) come to ${format(least)} KB`
  }),
  { goal: "materialize cold over HTTP ≥ 1.5× the reference", scenario: /^Materialize over HTTP/, metric: /^ready (MaterializedState|StreamDB) ms$/, against: "reference", target: 1.5 },
  { goal: "materialize cold: lower peak heap than the reference", scenario: /^Materialize over HTTP/, metric: /^ready (MaterializedState|StreamDB) peak heap MB$/, against: "reference", target: 1 },
  {
    goal: "materialize in memory ≥ 1× the reference",
    scenario: "Materialize",
    metric: "events/s",
    against: "reference",
    target: 1,
    // No materializer does less than the floor. When the reference runs at the floor's rate, beating
    // it is out of reach beyond this measurement's spread, provided ours runs at that rate as well.
    outOfReach: (rows) => {
      const row = find(rows, "Materialize", "events/s")
      const oursOverReference = row && advantage(row, "reference")
      const oursOverFloor = row && advantage(row, "raw")
      if (!(oursOverReference > 0 && oursOverFloor > 0)) return undefined
      const floorOverReference = oursOverReference / oursOverFloor
      if (floorOverReference > 1 + MATERIALIZE_SPREAD || oursOverFloor < 1 - MATERIALIZE_SPREAD) return undefined
      return `the floor (one Map operation per event, nothing else) runs at ${ratio(floorOverReference)} the reference's rate and ours at ${ratio(oursOverFloor)} the floor's, both within this measurement's spread (±${MATERIALIZE_SPREAD * 100} %): all three are at parity`
    },
  },
  { goal: "200 MB catch-up: peak live heap ≤ 4× the largest response", scenario: /^Large catch-up/, metric: "peak live heap ÷ largest response", absolute: 4, unit: "×" },
]

/**
 * How far apart runs of the in-memory materialize put the same work: built
 * side by side, ours came to 0.98–1.02× the floor and 0.99–1.00× the
 * reference over repeated runs on this machine.
 */
const MATERIALIZE_SPREAD = 0.03

const find = (rows, scenario, metric) => rows.find((row) => row.scenario === scenario && row.metric === metric)

/** A bundle-size goal: ours at most `kb`; `outOfReach` reads the scenario's rows by metric. */
function sizeGoal(goal, metric, kb, outOfReach) {
  const scenario = "Bundle size (min+gzip)"
  return { goal, scenario, metric, absolute: kb, unit: " KB", outOfReach: (rows) => outOfReach((name) => find(rows, scenario, name)) }
}

/** Of `[kb, who]` pairs, the smallest measured one. */
const smaller = (...candidates) => candidates.filter(([kb]) => kb > 0).sort((a, b) => a[0] - b[0])[0]

const matches = (pattern, text) => (pattern instanceof RegExp ? pattern.test(text) : pattern === text)

/** One goal against the rows: what was measured (the worst matching row) and whether it holds. */
export function checkGoal(goal, rows) {
  const found = rows.filter((row) => matches(goal.scenario, row.scenario) && matches(goal.metric, row.metric))
  if (goal.absolute !== undefined) {
    const values = found.map((row) => row.ours).filter((value) => typeof value === "number" && Number.isFinite(value))
    if (values.length === 0) return { measured: "not measured", verdict: "—" }
    const worst = Math.max(...values)
    const met = worst <= goal.absolute
    return {
      measured: `${format(worst)}${goal.unit ?? ""}`,
      verdict: met ? "met" : missed(goal, rows, `missed by ${format(worst - goal.absolute)}${goal.unit ?? ""}`),
      met,
    }
  }
  if (goal.atMost !== undefined) {
    // Lower is better for these rows: ours ÷ the floor is the inverse of the advantage.
    const factors = found.map((row) => advantage(row, goal.against)).filter((value) => value > 0).map((value) => 1 / value)
    if (factors.length === 0) return { measured: "not measured", verdict: "—" }
    const worst = Math.max(...factors)
    const met = worst <= goal.atMost
    return { measured: `${ratio(worst)} ${goal.against}`, verdict: met ? "met" : missed(goal, rows, "missed"), met }
  }
  const values = found.map((row) => advantage(row, goal.against)).filter((value) => value !== undefined)
  if (values.length === 0) return { measured: "not measured", verdict: "—" }
  const worst = Math.min(...values)
  const met = worst >= goal.target
  // A miss by less than the last digit shown gets a third, so "1.00×, missed" cannot appear.
  const measured = !met && ratio(worst) === ratio(goal.target) ? `${worst.toFixed(3)}×` : ratio(worst)
  return { measured, verdict: met ? "met" : missed(goal, rows, "missed"), met }
}

/** A miss, and when the goal's `outOfReach` measurement holds in this run, why no client meets it here. */
function missed(goal, rows, verdict) {
  const because = goal.outOfReach?.(rows)
  return because === undefined ? verdict : `${verdict}; out of reach: ${because}`
}

function renderGoals(rows) {
  const body = GOALS.map((goal) => {
    const { measured, verdict } = checkGoal(goal, rows)
    const against = goal.absolute !== undefined ? "absolute" : goal.against
    const target =
      goal.absolute !== undefined
        ? `≤ ${goal.absolute}${goal.unit ?? ""}`
        : goal.atMost !== undefined
          ? `ours ≤ ${goal.atMost.toFixed(2)}× ${goal.against}`
          : `≥ ${goal.target.toFixed(2)}×`
    return [goal.goal, against, target, measured, verdict]
  })
  return `## Goals (this run)

Ratios on the same scale as the results (above 1× = ours better), except where the target says
"ours ≤ n× raw" (ours divided by the floor); a goal over several rows shows the worst of them.
"Out of reach" follows a miss when a measurement of this same run shows that no client meets
the goal on this machine: the least the task takes, done by raw fetch, or the smallest each part
of the task is in either client; it is recomputed each run and dropped when it no longer holds.

${markdownTable(["goal", "against", "target", "measured", "verdict"], body, ["left", "left", "right", "right", "left"])}`
}

const BAR_COLOURS = { reference: "#2b6cb0", raw: "#dd6b20" }

/**
 * Horizontal bars from the same rows as the tables: per row, ours vs the
 * reference and ours vs the floor ("raw"), log scale, 1× marked. Right of 1×
 * is ours better.
 */
export function renderChart(rows) {
  const groups = rows
    .map((row) => ({
      label: `${row.scenario}: ${row.metric}`,
      bars: ["reference", "raw"]
        .map((against) => ({ against, value: advantage(row, against) }))
        .filter((bar) => bar.value !== undefined),
    }))
    .filter((group) => group.bars.length > 0)
  const width = 820
  const labelWidth = 420
  const barHeight = 14
  const gap = 8
  const top = 56
  let y = top
  const scale = (value) => (Math.log10(value) + 1) / 2 // 0.1× … 10× on a log axis
  const x = (value) => labelWidth + Math.max(0, Math.min(1, scale(value))) * (width - labelWidth - 60)
  const one = x(1)
  const items = []
  for (const group of groups) {
    const groupHeight = group.bars.length * barHeight
    items.push(`<text x="${labelWidth - 8}" y="${y + groupHeight / 2 + 4}" text-anchor="end">${escape(group.label)}</text>`)
    for (const bar of group.bars) {
      const end = x(bar.value)
      items.push(
        `<rect x="${Math.min(one, end)}" y="${y + 2}" width="${Math.max(1, Math.abs(end - one))}" height="${barHeight - 3}" fill="${BAR_COLOURS[bar.against]}"/>`,
        `<text x="${Math.max(end, one) + 4}" y="${y + barHeight - 3}" font-size="10">${bar.value.toFixed(2)}×</text>`
      )
      y += barHeight
    }
    y += gap
  }
  const height = y + 24
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="14" font-weight="bold">durable-client vs the reference and vs the floor (above 1× = ours better, log scale)</text>
<rect x="10" y="32" width="12" height="10" fill="${BAR_COLOURS.reference}"/><text x="26" y="41">vs @durable-streams reference</text>
<rect x="230" y="32" width="12" height="10" fill="${BAR_COLOURS.raw}"/><text x="246" y="41">vs raw (the floor)</text>
<line x1="${one}" y1="${top - 6}" x2="${one}" y2="${height - 20}" stroke="#333" stroke-dasharray="4 3"/>
<text x="${one}" y="${height - 6}" text-anchor="middle">1×</text>
${items.join("\n")}
</svg>
`
}

function escape(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
}
