import { existsSync } from "node:fs"
import { isAbsolute, resolve } from "node:path"
import { parseArgs } from "node:util"

export const USAGE = `usage: durable-client-conformance [--adapter PATH] [--suite NAME]... [--case NAME]...
       [--format text|json] [--results PATH] [--concurrency N] [--verbose] [--list]
       [--cross-check] [--benchmark [--quick]] [-- ADAPTER ARGS...]

  --adapter PATH     the adapter program to test (default: the bundled durable-client adapter);
                     --run PATH is the same (the public harness's name); arguments after --
                     are passed to it, e.g. --adapter python3 -- my_adapter.py
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
  /** Arguments for the adapter program (everything after `--`). */
  adapterArgs: string[]
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

/**
 * A path is the user's; a bare name that is no file where the user is
 * (`python3`) is a program looked up on PATH when it starts.
 */
function adapterPath(value: string): string {
  const path = userPath(value)
  return value.includes("/") || value.includes("\\") || existsSync(path) ? path : value
}

export function parseOptions(argv: string[]): RunOptions | "help" {
  const separator = argv.indexOf("--")
  const adapterArgs = separator === -1 ? [] : argv.slice(separator + 1)
  let values
  try {
    ;({ values } = parseArgs({
      args: separator === -1 ? argv : argv.slice(0, separator),
      options: {
        adapter: { type: "string" },
        run: { type: "string" },
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
  if (values.adapter !== undefined && values.run !== undefined) throw new UsageError("give --adapter or --run, not both")
  const adapter = values.adapter ?? values.run
  const concurrency = Number(values.concurrency ?? 4)
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a whole number >= 1`)
  return {
    adapter: adapter === undefined ? undefined : adapterPath(adapter),
    adapterArgs,
    suites: values.suite ?? [],
    cases: values.case ?? [],
    format,
    // The default goes beside the process (the package folder under pnpm,
    // the user's folder under npx); a path given is the user's.
    results: values.results === undefined ? resolve(process.cwd(), "conformance-results.json") : userPath(values.results),
    concurrency,
    verbose: values.verbose ?? false,
    list: values.list ?? false,
    crossCheck: (values["cross-check"] ?? false) && adapter === undefined,
    benchmark: values.benchmark ?? false,
    quick: values.quick ?? false,
  }
}
