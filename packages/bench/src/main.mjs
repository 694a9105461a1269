#!/usr/bin/env node
// `pnpm bench [--quick] [--rounds N] [--only NAME]`: every scenario runs ours, the
// reference client and (where it applies) raw fetch in the same process
// (or, for a scenario with `isolate`, each in a process of its own),
// interleaved over several rounds; the table shows medians and ratios.
//
// Each scenario runs in a Node process of its own, with a reference server
// of its own: what one scenario leaves behind (a million events kept alive,
// a server heap full of streams, a warmed-up or fragmented heap) cannot
// slow the next one's garbage collections. This process only spawns them
// (`--scenario-index I --rows-out FILE`) and renders their rows.
import { execFileSync, fork } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
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
import { median, pairedRatios } from "./stats.mjs"
import { renderChart, renderMarkdown, renderTable } from "./report.mjs"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const rounds = Number(valueOf("--rounds") ?? (quick ? 1 : 5))
const only = valueOf("--only")
const write = args.includes("--write") || (!quick && !only)
const scenarioIndex = valueOf("--scenario-index")
const rowsOut = valueOf("--rows-out")
const contenderOnly = valueOf("--contender")
const serverUrlGiven = valueOf("--server-url")

function valueOf(flag) {
  const at = args.indexOf(flag)
  return at === -1 ? undefined : args[at + 1]
}

/** Every scenario, in run order. Constructing one does no work: that is its setup's. */
function allScenarios(options) {
  const { quick } = options
  return [
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
  ]
}

if (scenarioIndex === undefined) {
  await runAll()
} else if (contenderOnly !== undefined) {
  await serveContender(Number(scenarioIndex), contenderOnly)
} else {
  await runOne(Number(scenarioIndex))
}

/** The parent: one child process per chosen scenario, then the table (and, on a full run, the files). */
async function runAll() {
  const all = allScenarios({ serverUrl: undefined, quick }).map((scenario, index) => ({ name: scenario.name.toLowerCase(), index }))
  // A name that is exactly one scenario's picks that one ("Materialize" is also in "Materialize over HTTP").
  const wanted = only?.toLowerCase()
  const exact = all.filter(({ name }) => name === wanted)
  const chosen = !wanted ? all : exact.length > 0 ? exact : all.filter(({ name }) => name.includes(wanted))
  const dir = mkdtempSync(join(tmpdir(), "durable-bench-"))
  const rows = []
  try {
    for (const { index } of chosen) {
      const out = join(dir, `rows-${index}.json`)
      const childArgs = [...args.filter((arg) => arg !== "--write"), "--scenario-index", String(index), "--rows-out", out]
      // Inherited output: the child's progress lines and errors show as they happen.
      execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...childArgs], { stdio: "inherit" })
      // JSON has no undefined and turns NaN into null: both read back as "no figure".
      rows.push(...JSON.parse(readFileSync(out, "utf8"), (_, value) => (value === null ? undefined : value)))
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  console.log(renderTable(rows))
  if (write) {
    const root = fileURLToPath(new URL("../", import.meta.url))
    writeFileSync(`${root}BENCHMARKS.md`, renderMarkdown(rows, { rounds }))
    writeFileSync(`${root}benchmarks.svg`, renderChart(rows))
    console.log(`\nwrote packages/bench/BENCHMARKS.md and packages/bench/benchmarks.svg`)
  }
}

/** A child: one scenario against a server of its own; its rows go to `--rows-out`. */
async function runOne(index) {
  const server = await startServer()
  const scenario = allScenarios({ serverUrl: server.url, quick })[index]
  const rows = []
  try {
    await measureScenario(scenario, rows, { index, serverUrl: server.url })
  } finally {
    await server.stop()
  }
  writeFileSync(rowsOut, JSON.stringify(rows))
}

async function measureScenario(scenario, rows, { index, serverUrl }) {
  {
    process.stderr.write(`• ${scenario.name}: ${scenario.detail}\n`)
    if (scenario.once) {
      for (const row of await scenario.measureAll()) rows.push({ scenario: scenario.name, better: scenario.better, ...row })
      return
    }
    const contenders = scenario.contenders ?? ["ours", "reference", "raw"]
    // An isolated scenario runs each contender in a process of its own (see `serveContender`).
    const children = scenario.isolate ? new Map(contenders.map((contender) => [contender, contenderProcess(index, serverUrl, contender)])) : undefined
    const runRound = children
      ? (contender, round) => children.get(contender).round(round)
      : async (contender, round) => {
          const { metrics, url } = await scenario.round(contender)
          if (round === 0 && url && scenario.verify) await scenario.verify(url)
          return metrics
        }
    if (children) await Promise.all([...children.values()].map((child) => child.ready))
    else await scenario.setup?.()
    const samples = {}
    try {
      // A scenario whose rounds take long (1M events through the reference's StreamDB) caps them.
      // One whose rounds are short and noisy (the producer: a third of a second, two processes on two cores) takes more.
      const scenarioRounds = Math.max(Math.min(rounds, scenario.maxRounds ?? rounds), quick ? 0 : (scenario.minRounds ?? 0))
      // Warm-up rounds run first and are not counted: the JIT's first compilations are not what a
      // long-lived client sees, and whoever went first would also pay for the server's and for the
      // fetch code the contenders share. One by default, in a quick run too (its one counted round
      // would otherwise always find ours cold); a scenario may ask for more (`warmupRounds`), or
      // for none when its rounds are long enough that compiling is lost in them.
      const warmup = quick ? Math.min(1, scenario.warmupRounds ?? 1) : (scenario.warmupRounds ?? 1)
      for (let round = 0; round < warmup + scenarioRounds; round++) {
        // Rotate the order each round so no contender always runs first (cold) or last.
        const order = contenders.map((_, i) => contenders[(i + round) % contenders.length])
        for (const contender of order) {
          const metrics = await runRound(contender, round)
          if (round < warmup) continue
          for (const [metric, value] of Object.entries(metrics)) {
            ;((samples[metric] ??= {})[contender] ??= new Map()).set(round, value)
          }
        }
      }
    } finally {
      // Scenarios that start helpers (the CDN's nginx) stop them here.
      if (children) await Promise.all([...children.values()].map((child) => child.stop()))
      else await scenario.teardown?.()
    }
    for (const [metric, byContender] of Object.entries(samples)) {
      const row = { scenario: scenario.name, detail: scenario.detail, metric, better: scenario.better[metric] }
      for (const [contender, values] of Object.entries(byContender)) row[contender] = median([...values.values()])
      row.paired = pairedRatios(byContender)
      rows.push(row)
    }
  }
}

/**
 * For a scenario with `isolate`: one process per contender, kept for all
 * the rounds, which still interleave. Contenders sharing a process share
 * its compiled code and its runtime's state: after three rounds of the
 * reference producer, ours ran 15 to 25% slower for the rest of the
 * process's life, though a full collection between rounds changed nothing
 * (so not garbage it left). An application runs one client.
 */
function contenderProcess(index, serverUrl, contender) {
  const childArgs = [...args.filter((arg) => arg !== "--write"), "--scenario-index", String(index), "--contender", contender, "--server-url", serverUrl]
  const child = fork(fileURLToPath(import.meta.url), childArgs, {
    execArgv: process.execArgv,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  })
  const pending = []
  child.on("message", (message) => pending.shift()?.(message))
  const ask = (message) => new Promise((resolve, reject) => {
    pending.push((answer) => (answer.error ? reject(new Error(`${contender}: ${answer.error}`)) : resolve(answer)))
    child.send(message)
  })
  const ready = new Promise((resolve) => pending.push(resolve))
  return {
    ready,
    round: async (round) => (await ask({ round })).metrics,
    stop: async () => {
      await ask({ stop: true })
    },
  }
}

/** A contender's process: the scenario's rounds for one contender, as the parent asks for them. */
async function serveContender(index, contender) {
  const scenario = allScenarios({ serverUrl: serverUrlGiven, quick })[index]
  await scenario.setup?.()
  process.on("message", async (message) => {
    try {
      if (message.stop) {
        await scenario.teardown?.()
        process.send({ stopped: true }, () => process.exit(0))
        return
      }
      const { metrics, url } = await scenario.round(contender)
      if (message.round === 0 && url && scenario.verify) await scenario.verify(url)
      process.send({ metrics })
    } catch (error) {
      process.send({ error: String(error?.stack ?? error) })
    }
  })
  process.send({ ready: true })
}
