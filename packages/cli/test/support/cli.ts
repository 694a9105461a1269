// Runs the CLI in-process with injected stdio, environment and interrupt
// signal: what the bin does with the real process, minus the process.
import { run, type CliEnvironment, type CliInput, type CliOutput } from "@durable-client/cli"
import { waitFor } from "@durable-client/testing/vitest"

export interface CliResult {
  code: number
  stdout: string
  stdoutBytes: Uint8Array
  stderr: string
  /** stderr split into lines, without the trailing empty one. */
  stderrLines: string[]
}

export interface CliOptions {
  env?: Record<string, string | undefined>
  /** stdin: text or bytes (one chunk), or chunks yielded in order. */
  stdin?: string | Uint8Array | AsyncIterable<string | Uint8Array>
  fetch?: CliEnvironment["fetch"]
  cwd?: string
}

export interface RunningCli {
  stdout(): string
  stderr(): string
  /** Like Ctrl-C (or SIGTERM with that reason). */
  interrupt(reason?: string): void
  /** Waits until stdout contains `text`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>
  waitForStderr(text: string | RegExp, timeoutMs?: number): Promise<void>
  readonly done: Promise<CliResult>
}

function collector(): { output: CliOutput; bytes(): Uint8Array; text(): string } {
  const chunks: Uint8Array[] = []
  const encoder = new TextEncoder()
  const bytes = () => {
    const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0))
    let at = 0
    for (const chunk of chunks) {
      out.set(chunk, at)
      at += chunk.length
    }
    return out
  }
  return {
    output: {
      write(chunk, callback) {
        chunks.push(typeof chunk === "string" ? encoder.encode(chunk) : new Uint8Array(chunk))
        callback?.()
        return true
      },
    },
    bytes,
    text: () => new TextDecoder().decode(bytes()),
  }
}

function input(stdin: CliOptions["stdin"]): CliInput | undefined {
  if (stdin === undefined) return undefined
  if (typeof stdin === "string" || stdin instanceof Uint8Array) {
    return (async function* () {
      yield stdin
    })()
  }
  return stdin
}

/** Starts the CLI; the test interrupts it or waits for it to finish. */
export function startCli(argv: string[], options: CliOptions = {}): RunningCli {
  const stdout = collector()
  const stderr = collector()
  const controller = new AbortController()
  const stdin = input(options.stdin)
  const done = run({
    argv,
    env: options.env ?? {},
    ...(stdin ? { stdin } : {}),
    stdout: stdout.output,
    stderr: stderr.output,
    signal: controller.signal,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).then((code) => {
    const err = stderr.text()
    return {
      code,
      stdout: stdout.text(),
      stdoutBytes: stdout.bytes(),
      stderr: err,
      stderrLines: err.split("\n").filter((line, index, lines) => index < lines.length - 1 || line !== ""),
    }
  })
  return {
    stdout: stdout.text,
    stderr: stderr.text,
    interrupt: (reason = "SIGINT") => controller.abort(reason),
    waitForOutput: (text, timeoutMs) => waitFor(() => stdout.text().includes(text), `stdout to contain ${JSON.stringify(text)}`, timeoutMs),
    waitForStderr: (text, timeoutMs) =>
      waitFor(
        () => (typeof text === "string" ? stderr.text().includes(text) : text.test(stderr.text())),
        `stderr to contain ${String(text)}`,
        timeoutMs
      ),
    done,
  }
}

/** Runs the CLI to the end. */
export function runCli(argv: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(argv, options).done
}

/** The `offset=…` line a read prints last on stderr. */
export function resumeOffset(result: CliResult): string {
  const last = result.stderrLines[result.stderrLines.length - 1] ?? ""
  if (!last.startsWith("offset=")) throw new Error(`the last stderr line is not offset=…: ${JSON.stringify(result.stderr)}`)
  return last.slice("offset=".length)
}

/** stdin that yields each chunk only when the test says so. */
export function controlledInput(): { stdin: AsyncIterable<string>; push(chunk: string): void; end(): void } {
  const queue: Array<string | null> = []
  let wake: (() => void) | undefined
  return {
    stdin: (async function* () {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve))
        const next = queue.shift()!
        if (next === null) return
        yield next
      }
    })(),
    push(chunk) {
      queue.push(chunk)
      wake?.()
    },
    end() {
      queue.push(null)
      wake?.()
    },
  }
}
