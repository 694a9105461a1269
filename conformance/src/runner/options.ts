import { isAbsolute, resolve } from "node:path"
import { parseArgs } from "node:util"

export const USAGE = `usage: durable-client-conformance [--adapter PATH] [--suite NAME]... [--case NAME]...
       [--format text|json] [--results PATH] [--concurrency N] [--verbose] [--list]
       [--cross-check] [--benchmark [--quick]]

  --adapter PATH     the adapter program to test (default: the bundled durable-client adapter)
  --suite NAME       only this suite (repeatable)
  --case NAME        only cases whose name is NAME, suite/NAME, or contains NAME (repeatable)
  --format json      one JSON line per case on stdout instead of FAIL lines
  --results PATH     where to write the machine-readable results (default ./conformance-results.json)
  --concurrency N    adapter processes run in parallel (default 4)
  --cross-check      also run the bundled reference-client adapter and compare its outcome
                     with the recorded one (ignored with --adapter)
  --benchmark        time the benchmark scenarios instead of running cases (--quick: fewer rounds)
  --list             print the selected cases and stop
`

export interface RunOptions {
  /** Absolute path of the adapter, or undefined for the bundled default. */
  adapter: string | undefined
  suites: string[]
  cases: string[]
  format: "text" | "json"
  results: string
  concurrency: number
  verbose: boolean
  list: boolean
  crossCheck: boolean
  benchmark: boolean
  quick: boolean
}

export class UsageError extends Error {
  override name = "UsageError"
}

/**
 * Paths on the command line are relative to where the user started the
 * command: under `pnpm conformance` that is INIT_CWD, not this package.
 */
export function userPath(path: string): string {
  if (isAbsolute(path)) return path
  return resolve(process.env.INIT_CWD ?? process.cwd(), path)
}

export function parseOptions(argv: string[]): RunOptions | "help" {
  let values
  try {
    ;({ values } = parseArgs({
      args: argv,
      options: {
        adapter: { type: "string" },
        suite: { type: "string", multiple: true },
        case: { type: "string", multiple: true },
        format: { type: "string" },
        results: { type: "string" },
        concurrency: { type: "string" },
        verbose: { type: "boolean" },
        list: { type: "boolean" },
        "cross-check": { type: "boolean" },
        benchmark: { type: "boolean" },
        quick: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    }))
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  if (values.help) return "help"
  const format = values.format ?? "text"
  if (format !== "text" && format !== "json") throw new UsageError(`--format must be text or json, got ${format}`)
  const concurrency = Number(values.concurrency ?? 4)
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a whole number >= 1`)
  return {
    adapter: values.adapter === undefined ? undefined : userPath(values.adapter),
    suites: values.suite ?? [],
    cases: values.case ?? [],
    format,
    // The default goes beside the process (the package folder under pnpm,
    // the user's folder under npx); a path given is the user's.
    results: values.results === undefined ? resolve(process.cwd(), "conformance-results.json") : userPath(values.results),
    concurrency,
    verbose: values.verbose ?? false,
    list: values.list ?? false,
    crossCheck: (values["cross-check"] ?? false) && values.adapter === undefined,
    benchmark: values.benchmark ?? false,
    quick: values.quick ?? false,
  }
}
