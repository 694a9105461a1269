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
