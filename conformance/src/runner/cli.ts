/**
 * durable-client-conformance [--adapter PATH] [--suite NAME]... [--case NAME]...
 *   [--format text|json] [--results PATH] [--cross-check] [--benchmark] ...
 *
 * Starts the reference server on loopback, runs the YAML cases against the
 * adapter (or times the benchmark scenarios), prints one line per failure
 * and then "N passed, N failed, N skipped" as the last line, and writes the
 * machine-readable results. Exit code 1 if anything failed, 2 if the run
 * could not start.
 */
import { existsSync } from "node:fs"
import { basename, isAbsolute } from "node:path"
import { runBenchmarks } from "./benchmark.ts"
import { loadCases, type Case } from "./cases.ts"
import { compare, loadExpected } from "./cross-check.ts"
import { parseOptions, USAGE, UsageError, type RunOptions } from "./options.ts"
import { bundledAdapter, casesDir, dependencyVersion, expectedOutcome, packageVersion } from "./paths.ts"
import { jsonLine, recordOf, writeResults, type Counts, type ResultsFile, type RunRecord } from "./report.ts"
import { runSuite, summaryLine, type CaseReport, type SuiteRun } from "./run-suite.ts"
import { ConformanceServer } from "./server.ts"

/** How long the server holds a caught-up long-poll; short so live cases stay fast. */
const LONG_POLL_TIMEOUT_MS = 500

function selectCases(all: Case[], suites: string[], names: string[]): Case[] {
  let selected = all
  if (suites.length > 0) {
    const unknown = suites.filter((suite) => !all.some((c) => c.suite === suite))
    if (unknown.length > 0) throw new UsageError(`unknown suite: ${unknown.join(", ")}`)
    selected = selected.filter((c) => suites.includes(c.suite))
  }
  if (names.length > 0) {
    selected = selected.filter((c) =>
      names.some((name) => name === c.name || name === `${c.suite}/${c.name}` || c.name.includes(name))
    )
    if (selected.length === 0) throw new UsageError(`no case matches ${names.join(", ")}`)
  }
  return selected
}

function out(line: string): void {
  process.stdout.write(`${line}\n`)
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2))
  if (options === "help") {
    process.stdout.write(USAGE)
    return
  }
  const cases = selectCases(loadCases(casesDir), options.suites, options.cases)
  if (options.list) {
    for (const c of cases) out(`${c.suite}/${c.name}  ${c.about.replace(/\s+/g, " ")}`)
    out(`${cases.length} cases`)
    return
  }
  const adapter = options.adapter ?? bundledAdapter("durable-client")
  if (isAbsolute(adapter) && !existsSync(adapter)) throw new UsageError(`adapter not found: ${adapter}`)

  const started = Date.now()
  const server = await ConformanceServer.start(LONG_POLL_TIMEOUT_MS)
  const results: ResultsFile = {
    kind: options.benchmark ? "benchmark" : "cases",
    runner: { name: "@durable-client/conformance", version: packageVersion() },
    server: { name: "@durable-streams/server", version: dependencyVersion("@durable-streams/server"), url: server.url },
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    runs: [],
  }
  try {
    if (options.benchmark) {
      const adapters = options.crossCheck ? [adapter, bundledAdapter("reference-client")] : [adapter]
      const counts = await runBenchmarks(adapters, server, options, results)
      out(summaryLine(counts))
      process.exitCode = counts.failed === 0 ? 0 : 1
    } else {
      process.exitCode = (await runCases(adapter, cases, server, options, results)) ? 0 : 1
    }
  } finally {
    await server.stop()
    results.durationMs = Date.now() - started
    writeResults(options.results, results)
  }
  if (options.verbose) process.stderr.write(`took ${((Date.now() - started) / 1000).toFixed(1)} s; results in ${options.results}\n`)
}

/** Runs the cases against the adapter (and the cross-check); returns whether everything held. */
async function runCases(
  adapter: string,
  cases: Case[],
  server: ConformanceServer,
  options: RunOptions,
  results: ResultsFile
): Promise<boolean> {
  const label = basename(adapter)
  const main = await runAdapter(adapter, cases, server, options)
  const record = recordOf(main)
  results.runs.push(record)
  printOutcome(label, main.reports, options)
  if (!options.crossCheck) {
    results.total = record.summary
    out(summaryLine(record.summary))
    return record.summary.failed === 0
  }

  // The cross-check: the same cases against a second, independent client,
  // compared with its recorded outcome (expected/reference-client.json).
  out(`${label}: ${summaryLine(record.summary)}`)
  const reference = bundledAdapter("reference-client")
  const expectedPath = expectedOutcome("reference-client")
  const expected = loadExpected(expectedPath)
  const second = await runAdapter(reference, cases, server, options)
  let check = compare(second.reports, expected)
  if (check.differ.length > 0) {
    // A difference is rerun once, alone, before it counts: timing-sensitive
    // cases on a busy machine should not turn a known verdict into noise.
    const again = new Set(check.differ.map((d) => d.id))
    const rerun = await runSuite(reference, cases.filter((c) => again.has(`${c.suite}/${c.name}`)), server, { concurrency: 1 })
    const byId = new Map(rerun.reports.map((r) => [r.id, r]))
    second.reports = second.reports.map((r) => byId.get(r.id) ?? r)
    check = compare(second.reports, expected)
  }
  const secondRecord: RunRecord = { ...recordOf(second), crossCheck: { ...check, expected: expectedPath } }
  results.runs.push(secondRecord)
  const client = `${second.clientName} ${second.clientVersion}`.trim()
  out(`reference-client (${client}): ${summaryLine(secondRecord.summary)}`)
  for (const d of check.differ) {
    out(`DIFF reference-client ${d.id}: recorded to ${d.expected}, but ${d.actual === "pass" ? "passed" : `failed: ${d.reason ?? ""}`}`)
  }
  out(
    `cross-check: ${check.asRecorded} as recorded (${check.knownFailures} known failures, explained in ${basename(expectedPath)}), ${check.differ.length} differ`
  )
  const total: Counts = {
    passed: record.summary.passed + check.asRecorded,
    failed: record.summary.failed + check.differ.length,
    skipped: record.summary.skipped + check.skipped,
  }
  results.total = total
  out(`total: ${summaryLine(total)}`)
  return total.failed === 0
}

async function runAdapter(adapter: string, cases: Case[], server: ConformanceServer, options: RunOptions): Promise<SuiteRun> {
  const label = basename(adapter)
  process.stderr.write(`conformance: ${label} (${adapter}), ${cases.length} cases\n`)
  const run = await runSuite(adapter, cases, server, {
    concurrency: options.concurrency,
    adapterArgs: adapter === options.adapter ? options.adapterArgs : [],
    onReport: (report) => {
      if (options.format === "json") out(jsonLine(label, report))
      else if (options.verbose) {
        process.stderr.write(`${report.status === "pass" ? "ok  " : report.status === "skip" ? "skip" : "FAIL"} ${report.id}${report.reason ? `: ${report.reason}` : ` (${report.ms} ms)`}\n`)
      }
    },
  })
  if (options.verbose) {
    const slowest = [...run.reports].sort((a, b) => b.ms - a.ms).slice(0, 5)
    process.stderr.write(`slowest: ${slowest.map((r) => `${r.id} ${r.ms} ms`).join(", ")}\n`)
  }
  return run
}

function printOutcome(label: string, reports: CaseReport[], options: RunOptions): void {
  if (options.format === "json") return
  const prefix = options.crossCheck ? `${label} ` : ""
  for (const report of reports) {
    if (report.status === "fail") out(`FAIL ${prefix}${report.id}: ${report.reason ?? ""}`)
  }
  if (options.verbose) {
    for (const report of reports) if (report.status === "skip") out(`SKIP ${prefix}${report.id}: ${report.reason ?? ""}`)
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n${USAGE}`)
    process.exit(2)
  }
  const detail = error instanceof Error ? (process.env.CONFORMANCE_DEBUG ? (error.stack ?? error.message) : error.message) : String(error)
  process.stderr.write(`conformance: ${detail}\n`)
  process.exit(2)
})
