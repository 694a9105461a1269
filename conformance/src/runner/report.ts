import { mkdirSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import type { CrossCheck } from "./cross-check.ts"
import { countOf, type CaseReport, type SuiteRun } from "./run-suite.ts"

export interface Counts {
  passed: number
  failed: number
  skipped: number
}

/** One adapter's part of the results file. */
export interface RunRecord {
  adapter: string
  client: { name: string; version: string }
  features: Record<string, boolean | undefined>
  summary: Counts
  cases: CaseReport[]
  crossCheck?: CrossCheck & { expected: string }
}

export interface ResultsFile {
  kind: "cases" | "benchmark"
  runner: { name: string; version: string }
  server: { name: string; version: string; url: string }
  startedAt: string
  durationMs: number
  runs: unknown[]
  total?: Counts
}

export function recordOf(run: SuiteRun): RunRecord {
  return {
    adapter: run.adapter,
    client: { name: run.clientName, version: run.clientVersion },
    features: { ...run.features },
    summary: countOf(run.reports),
    cases: run.reports,
  }
}

/** Writes the machine-readable results; a failure to write is reported, not fatal. */
export function writeResults(path: string, results: ResultsFile): void {
  try {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`)
  } catch (error) {
    process.stderr.write(`conformance: could not write ${path}: ${error instanceof Error ? error.message : String(error)}\n`)
  }
}

/** A case outcome as one JSON line (`--format json`). */
export function jsonLine(adapter: string, report: CaseReport): string {
  return JSON.stringify({ adapter, ...report })
}
