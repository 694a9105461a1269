import type { FetchLike } from "@durable-client/state"

/** Where the CLI reads input from: `process.stdin`, or anything async-iterable in tests. */
export interface CliInput extends AsyncIterable<Uint8Array | string> {
  readonly isTTY?: boolean
}

/** Where the CLI writes: `process.stdout` / `process.stderr`, or a test's collector. */
export interface CliOutput {
  write(chunk: Uint8Array | string, callback?: (error?: Error | null) => void): boolean
}

/** Everything `run` touches of the outside world, so tests can drive it in-process. */
export interface CliEnvironment {
  /** Arguments after the program name (`process.argv.slice(2)`). */
  argv: readonly string[]
  /** Environment variables. Default: none. */
  env?: Readonly<Record<string, string | undefined>>
  /** Input for `append` and `create` without data. Default: empty. */
  stdin?: CliInput
  stdout: CliOutput
  stderr: CliOutput
  /**
   * Aborted on Ctrl-C or SIGTERM: every request is cancelled, reads print
   * their resume offset, and `run` resolves with 130 (143 when the reason is
   * `"SIGTERM"`).
   */
  signal?: AbortSignal
  /** Replaces the global fetch for every request (tests, proxies). */
  fetch?: FetchLike
  /** Resolves relative paths such as `--offset-file`. Default: the process's working directory. */
  cwd?: string
}

/** Writes and waits until the chunk is handed to the OS, so a slow reader slows us (backpressure). */
export function writeTo(output: CliOutput, chunk: Uint8Array | string): Promise<void> {
  return new Promise((resolve, reject) => {
    output.write(chunk, (error) => (error ? reject(error) : resolve()))
  })
}

/** The reader of our stdout went away (`durable-client read … | head -1`): a quiet end, not a failure. */
export function isBrokenPipe(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "EPIPE"
}
