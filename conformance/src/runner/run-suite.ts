import type { FeatureName, Features } from "../protocol.ts"
import { AdapterProcess } from "./adapter-process.ts"
import { impliedFeatures, type Case } from "./cases.ts"
import { CaseRun } from "./run-case.ts"
import type { ConformanceServer } from "./server.ts"

/** The outcome of one case. */
export interface CaseReport {
  id: string
  suite: string
  name: string
  status: "pass" | "fail" | "skip"
  reason?: string
  ms: number
}

/** One adapter's run over a set of cases. */
export interface SuiteRun {
  adapter: string
  clientName: string
  clientVersion: string
  features: Features
  reports: CaseReport[]
}

export interface SuiteOptions {
  concurrency: number
  /** Arguments for the adapter program. */
  adapterArgs?: string[]
  /** Called as each case finishes (for progress output). */
  onReport?: (report: CaseReport) => void
}

/**
 * Runs cases against one adapter with a pool of adapter processes. A case
 * that needs a feature the adapter did not report is skipped; a case that
 * breaks the adapter (exit, hang, garbage on stdout) fails and the process
 * is replaced.
 */
export async function runSuite(
  adapterPath: string,
  cases: Case[],
  server: ConformanceServer,
  options: SuiteOptions
): Promise<SuiteRun> {
  const queue = [...cases]
  const reports: CaseReport[] = []
  const run: SuiteRun = { adapter: adapterPath, clientName: "", clientVersion: "", features: {}, reports }
  const report = (entry: CaseReport): void => {
    reports.push(entry)
    options.onReport?.(entry)
  }

  const worker = async (): Promise<void> => {
    let adapter: AdapterProcess | undefined
    const fresh = async (): Promise<AdapterProcess> => {
      const next = new AdapterProcess(adapterPath, options.adapterArgs)
      try {
        await next.init(server.url)
      } catch (error) {
        const tail = next.stderr.trim().split("\n").slice(-5).join(" | ")
        await next.stop()
        throw new Error(`${error instanceof Error ? error.message : String(error)}${tail ? ` [adapter stderr: ${tail}]` : ""}`)
      }
      run.clientName ||= next.clientName
      run.clientVersion ||= next.clientVersion
      run.features = next.features
      return next
    }
    try {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        const base = { id: `${c.suite}/${c.name}`, suite: c.suite, name: c.name }
        const started = Date.now()
        if (!adapter || !adapter.alive) adapter = await fresh()
        const missing = impliedFeatures(c).filter((feature: FeatureName) => adapter!.features[feature] !== true)
        if (missing.length > 0) {
          report({ ...base, status: "skip", reason: `needs ${missing.join(", ")}`, ms: 0 })
          continue
        }
        const outcome = await new CaseRun(c, adapter, server).run()
        const ms = Date.now() - started
        if (outcome.status === "pass") {
          report({ ...base, status: "pass", ms })
          continue
        }
        let reason = outcome.reason
        if (outcome.adapterBroken) {
          const tail = adapter.stderr.trim().split("\n").slice(-5).join(" | ")
          if (tail) reason += ` [adapter stderr: ${tail}]`
          await adapter.stop()
          adapter = undefined
        }
        report({ ...base, status: "fail", reason, ms })
      }
    } finally {
      await adapter?.stop()
    }
  }

  await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(1, cases.length)) }, worker))
  reports.sort((a, b) => a.id.localeCompare(b.id))
  return run
}

export function countOf(reports: CaseReport[]): { passed: number; failed: number; skipped: number } {
  return {
    passed: reports.filter((r) => r.status === "pass").length,
    failed: reports.filter((r) => r.status === "fail").length,
    skipped: reports.filter((r) => r.status === "skip").length,
  }
}

export function summaryLine(counts: { passed: number; failed: number; skipped: number }): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`
}
