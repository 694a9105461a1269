import { readFileSync } from "node:fs"
import type { CaseReport } from "./run-suite.ts"

/**
 * The recorded outcome of a second client over the cases: which cases it
 * fails, each with the reason. Every case not listed is expected to pass
 * (or be skipped for a feature the adapter does not report).
 */
export interface ExpectedOutcome {
  client: string
  failures: Record<string, string>
}

export interface CrossCheck {
  /** Cases whose outcome matches the record (known failures included). */
  asRecorded: number
  knownFailures: number
  skipped: number
  /** Cases whose outcome differs from the record. */
  differ: Array<{ id: string; expected: "pass" | "fail"; actual: "pass" | "fail"; reason?: string }>
}

export function loadExpected(path: string): ExpectedOutcome {
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<ExpectedOutcome>
  if (typeof parsed.client !== "string" || typeof parsed.failures !== "object" || parsed.failures === null) {
    throw new Error(`${path}: expected {"client": string, "failures": {"suite/case": "reason"}}`)
  }
  return { client: parsed.client, failures: parsed.failures }
}

/** Compares a run with the record; skipped cases are neither matches nor differences. */
export function compare(reports: CaseReport[], expected: ExpectedOutcome): CrossCheck {
  const check: CrossCheck = { asRecorded: 0, knownFailures: 0, skipped: 0, differ: [] }
  for (const report of reports) {
    if (report.status === "skip") {
      check.skipped++
      continue
    }
    const shouldFail = report.id in expected.failures
    const failed = report.status === "fail"
    if (shouldFail === failed) {
      check.asRecorded++
      if (failed) check.knownFailures++
    } else {
      check.differ.push({
        id: report.id,
        expected: shouldFail ? "fail" : "pass",
        actual: failed ? "fail" : "pass",
        ...(report.reason === undefined ? {} : { reason: report.reason }),
      })
    }
  }
  return check
}
