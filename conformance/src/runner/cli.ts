/**
 * pnpm conformance [--adapter PATH] [--suite NAME]... [--case NAME]...
 *                  [--concurrency N] [--verbose] [--list]
 *
 * Starts the reference server on loopback, runs the YAML cases against the
 * adapter (ours by default) and prints one line per failure, then
 * "N passed, N failed, N skipped". Exits non-zero if anything failed.
 */
import { existsSync } from "node:fs"
import { dirname, isAbsolute, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import type { FeatureName } from "../protocol.ts"
import { AdapterProcess } from "./adapter-process.ts"
import { impliedFeatures, loadCases, type Case } from "./cases.ts"
import { CaseRun } from "./run-case.ts"
import { ConformanceServer } from "./server.ts"

const here = dirname(fileURLToPath(import.meta.url))
const packageRoot = resolve(here, "../..")
const LONG_POLL_TIMEOUT_MS = 500

interface Report {
  id: string
  status: "pass" | "fail" | "skip"
  reason?: string
  ms: number
}

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`)
  process.stderr.write(
    "usage: pnpm conformance [--adapter PATH] [--suite NAME]... [--case NAME]... [--concurrency N] [--verbose] [--list]\n"
  )
  process.exit(2)
}

/** Paths on the command line are relative to where the user ran pnpm, not to this package. */
function userPath(path: string): string {
  if (isAbsolute(path)) return path
  return resolve(process.env.INIT_CWD ?? process.cwd(), path)
}

function selectCases(all: Case[], suites: string[], names: string[]): Case[] {
  let selected = all
  if (suites.length > 0) {
    const unknown = suites.filter((suite) => !all.some((c) => c.suite === suite))
    if (unknown.length > 0) usage(`unknown suite: ${unknown.join(", ")}`)
    selected = selected.filter((c) => suites.includes(c.suite))
  }
  if (names.length > 0) {
    selected = selected.filter((c) =>
      names.some((name) => name === c.name || name === `${c.suite}/${c.name}` || c.name.includes(name))
    )
    if (selected.length === 0) usage(`no case matches ${names.join(", ")}`)
  }
  return selected
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      adapter: { type: "string" },
      suite: { type: "string", multiple: true },
      case: { type: "string", multiple: true },
      concurrency: { type: "string" },
      verbose: { type: "boolean" },
      list: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  })
  if (values.help) usage()
  const cases = selectCases(loadCases(join(packageRoot, "cases")), values.suite ?? [], values.case ?? [])
  if (values.list) {
    for (const c of cases) process.stdout.write(`${c.suite}/${c.name}  ${c.about.replace(/\s+/g, " ")}\n`)
    process.stdout.write(`${cases.length} cases\n`)
    return
  }
  const adapterPath = values.adapter ? userPath(values.adapter) : join(packageRoot, "adapters", "durable-client")
  if (!existsSync(adapterPath)) usage(`adapter not found: ${adapterPath}`)
  const concurrency = Math.max(1, Number(values.concurrency ?? 4))
  const verbose = values.verbose ?? false

  const started = Date.now()
  const server = await ConformanceServer.start(LONG_POLL_TIMEOUT_MS)
  const queue = [...cases]
  const reports: Report[] = []
  let announced = false

  const worker = async (): Promise<void> => {
    let adapter: AdapterProcess | undefined
    const fresh = async (): Promise<AdapterProcess> => {
      const next = new AdapterProcess(adapterPath)
      await next.init(server.url)
      if (!announced) {
        announced = true
        process.stderr.write(
          `conformance: ${next.clientName} ${next.clientVersion} via ${adapterPath}, ${cases.length} cases\n`
        )
      }
      return next
    }
    try {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        const id = `${c.suite}/${c.name}`
        const caseStarted = Date.now()
        if (!adapter || !adapter.alive) adapter = await fresh()
        const missing = impliedFeatures(c).filter((feature: FeatureName) => adapter!.features[feature] !== true)
        if (missing.length > 0) {
          reports.push({ id, status: "skip", reason: `needs ${missing.join(", ")}`, ms: 0 })
          continue
        }
        const outcome = await new CaseRun(c, adapter, server).run()
        const ms = Date.now() - caseStarted
        if (outcome.status === "pass") {
          reports.push({ id, status: "pass", ms })
          if (verbose) process.stderr.write(`ok   ${id} (${ms} ms)\n`)
          continue
        }
        let reason = outcome.reason
        if (outcome.adapterBroken) {
          const tail = adapter.stderr.trim().split("\n").slice(-5).join(" | ")
          if (tail) reason += ` [adapter stderr: ${tail}]`
          await adapter.stop()
          adapter = undefined
        }
        reports.push({ id, status: "fail", reason, ms })
        if (verbose) process.stderr.write(`FAIL ${id}: ${reason}\n`)
      }
    } finally {
      await adapter?.stop()
    }
  }

  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, cases.length)) }, worker))
  } finally {
    await server.stop()
  }

  reports.sort((a, b) => a.id.localeCompare(b.id))
  for (const report of reports) {
    if (report.status === "fail") process.stdout.write(`FAIL ${report.id}: ${report.reason ?? ""}\n`)
  }
  if (verbose) {
    for (const report of reports) {
      if (report.status === "skip") process.stdout.write(`SKIP ${report.id}: ${report.reason ?? ""}\n`)
    }
    const slowest = [...reports].sort((a, b) => b.ms - a.ms).slice(0, 5)
    process.stderr.write(`slowest: ${slowest.map((r) => `${r.id} ${r.ms} ms`).join(", ")}\n`)
    process.stderr.write(`took ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  }
  const count = (status: Report["status"]): number => reports.filter((r) => r.status === status).length
  process.stdout.write(`${count("pass")} passed, ${count("fail")} failed, ${count("skip")} skipped\n`)
  process.exitCode = count("fail") > 0 ? 1 : 0
}

main().catch((error: unknown) => {
  const detail = error instanceof Error ? (process.env.CONFORMANCE_DEBUG ? (error.stack ?? error.message) : error.message) : String(error)
  process.stderr.write(`conformance: ${detail}\n`)
  process.exit(2)
})
