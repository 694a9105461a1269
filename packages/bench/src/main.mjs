#!/usr/bin/env node
// `pnpm bench [--quick] [--rounds N] [--only NAME]`: every scenario runs ours, the
// reference client and (where it applies) raw fetch in the same process,
// interleaved over several rounds; the table shows medians and ratios.
import { writeFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { bundleScenario } from "./scenarios/bundle-size.mjs"
import { catchUpBytesScenario, catchUpJsonScenario } from "./scenarios/catch-up.mjs"
import { cdnScenario } from "./scenarios/cdn.mjs"
import { fanOutScenario } from "./scenarios/fan-out.mjs"
import { largeCatchUpScenario } from "./scenarios/large-catch-up.mjs"
import { liveLatencyScenario } from "./scenarios/live-latency.mjs"
import { liveQueryScenario, materializeScenario } from "./scenarios/materialize.mjs"
import { materializeHttpScenario } from "./scenarios/materialize-http.mjs"
import { producerScenario } from "./scenarios/producer.mjs"
import { yjsScenario } from "./scenarios/yjs.mjs"
import { startServer } from "./server.mjs"
import { median } from "./stats.mjs"
import { renderChart, renderMarkdown, renderTable } from "./report.mjs"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const rounds = Number(valueOf("--rounds") ?? (quick ? 1 : 5))
const only = valueOf("--only")
const write = args.includes("--write") || (!quick && !only)

function valueOf(flag) {
  const at = args.indexOf(flag)
  return at === -1 ? undefined : args[at + 1]
}

const server = await startServer()
const serverUrl = server.url

const options = { serverUrl, quick }
const scenarios = [
  producerScenario(options),
  catchUpJsonScenario(options),
  catchUpBytesScenario(options),
  largeCatchUpScenario({ ...options, format: "bytes" }),
  largeCatchUpScenario({ ...options, format: "json" }),
  liveLatencyScenario({ ...options, live: "sse" }),
  liveLatencyScenario({ ...options, live: "long-poll" }),
  fanOutScenario({ ...options, live: "sse" }),
  fanOutScenario({ ...options, live: "long-poll" }),
  cdnScenario(options),
  materializeScenario(options),
  materializeHttpScenario({ ...options, count: quick ? 10_000 : 100_000 }),
  materializeHttpScenario({ ...options, count: quick ? 50_000 : 1_000_000 }),
  liveQueryScenario(options),
  yjsScenario(options),
  bundleScenario(),
].filter((scenario) => !only || scenario.name.toLowerCase().includes(only.toLowerCase()))

const rows = []
try {
  for (const scenario of scenarios) {
    process.stderr.write(`• ${scenario.name}: ${scenario.detail}\n`)
    if (scenario.once) {
      for (const row of await scenario.measureAll()) rows.push({ scenario: scenario.name, better: scenario.better, ...row })
      continue
    }
    await scenario.setup?.()
    const contenders = scenario.contenders ?? ["ours", "reference", "raw"]
    const samples = {}
    try {
      // A scenario whose rounds take long (1M events through the reference's StreamDB) caps them.
      const scenarioRounds = Math.min(rounds, scenario.maxRounds ?? rounds)
      for (let round = 0; round < scenarioRounds; round++) {
        // Rotate the order each round so no contender always runs first (cold) or last.
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length])
        for (const contender of order) {
          const { metrics, url } = await scenario.round(contender)
          if (round === 0 && url && scenario.verify) await scenario.verify(url)
          for (const [metric, value] of Object.entries(metrics)) {
            ;((samples[metric] ??= {})[contender] ??= []).push(value)
          }
        }
      }
    } finally {
      // Scenarios that start helpers (the CDN's nginx) stop them here.
      await scenario.teardown?.()
    }
    for (const [metric, byContender] of Object.entries(samples)) {
      const row = { scenario: scenario.name, detail: scenario.detail, metric, better: scenario.better[metric] }
      for (const [contender, values] of Object.entries(byContender)) row[contender] = median(values)
      rows.push(row)
    }
  }
} finally {
  await server.stop()
}

console.log(renderTable(rows))
if (write) {
  const root = fileURLToPath(new URL("../", import.meta.url))
  writeFileSync(`${root}BENCHMARKS.md`, renderMarkdown(rows, { rounds }))
  writeFileSync(`${root}benchmarks.svg`, renderChart(rows))
  console.log(`\nwrote packages/bench/BENCHMARKS.md and packages/bench/benchmarks.svg`)
}
