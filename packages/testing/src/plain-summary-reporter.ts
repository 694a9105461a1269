import type { SerializedError } from "vitest";
import type { Reporter, TestModule, Vitest } from "vitest/node";

export interface PlainSummaryCounts {
  passed: number;
  failed: number;
  skipped: number;
}

/**
 * Counts individual tests across the run. A test that never ran (skipped,
 * todo, or left pending by a bail) counts as skipped.
 *
 * Two kinds of failure have no test of their own: a file that failed outside
 * any test (import error, throwing beforeAll with nothing marked failed) and
 * an unhandled error. Each counts as one failure, because CI reads this line
 * and "0 failed" must never describe a red run.
 */
export function countTests(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
): PlainSummaryCounts {
  const counts: PlainSummaryCounts = { passed: 0, failed: 0, skipped: 0 };
  for (const testModule of testModules) {
    let failedInModule = 0;
    for (const test of testModule.children.allTests()) {
      const state = test.result().state;
      if (state === "passed") counts.passed += 1;
      else if (state === "failed") failedInModule += 1;
      else counts.skipped += 1;
    }
    if (failedInModule === 0 && testModule.state() === "failed") failedInModule = 1;
    counts.failed += failedInModule;
  }
  counts.failed += unhandledErrors.length;
  return counts;
}

export function formatPlainSummary(counts: PlainSummaryCounts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

/**
 * Prints one machine-readable line, `N passed, N failed, N skipped`, after the
 * default reporter's summary. List it after "default": vitest calls reporters
 * in order, and the default reporter writes its summary synchronously.
 */
export class PlainSummaryReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    const line = formatPlainSummary(countTests(testModules, unhandledErrors));
    // Through vitest's logger so it lands in order with the default output.
    if (this.vitest) this.vitest.logger.log(line);
    else console.log(line);
  }
}
