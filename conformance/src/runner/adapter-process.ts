import { spawn, type ChildProcess } from "node:child_process"
import { accessSync, constants, openSync, readSync, closeSync } from "node:fs"
import { createInterface } from "node:readline"
import { toLine, type Features, type Result } from "../protocol.ts"

/** The adapter broke the protocol (died, hung, or wrote something that is not a result). */
export class AdapterFailure extends Error {
  override name = "AdapterFailure"
}

const STDERR_KEPT = 8_000

/**
 * One adapter process. Commands go one at a time: `send` refuses to start a
 * second command while one is waiting for its result.
 */
export class AdapterProcess {
  private readonly child: ChildProcess
  private waiting: { resolve: (result: Result) => void; reject: (error: Error) => void } | undefined
  private exited: string | undefined
  private stderrTail = ""
  features: Features = {}
  clientName = ""
  clientVersion = ""

  constructor(
    readonly executable: string,
    extraArgs: string[] = []
  ) {
    const [command, args] = extraArgs.length > 0 ? [executable, extraArgs] : commandFor(executable)
    this.child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] })
    const lines = createInterface({ input: this.child.stdout!, crlfDelay: Infinity })
    lines.on("line", (line) => this.onLine(line))
    this.child.stderr!.setEncoding("utf8")
    this.child.stderr!.on("data", (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEPT)
    })
    this.child.on("error", (error) => this.onExit(`could not run ${executable}: ${error.message}`))
    this.child.on("exit", (code, signal) => this.onExit(`adapter exited (${signal ?? `code ${String(code)}`})`))
    // A dead adapter must not crash the runner with EPIPE.
    this.child.stdin!.on("error", () => undefined)
  }

  get alive(): boolean {
    return this.exited === undefined
  }

  /** The last lines the adapter wrote to stderr, for failure reports. */
  get stderr(): string {
    return this.stderrTail
  }

  async init(serverUrl: string): Promise<void> {
    const result = await this.send({ type: "init", serverUrl }, 30_000)
    if (!result.success) throw new AdapterFailure(`init failed: ${result.message}`)
    this.features = (result.features as Features | undefined) ?? {}
    this.clientName = String(result.clientName ?? "")
    this.clientVersion = String(result.clientVersion ?? "")
  }

  send(command: Record<string, unknown> & { type: string }, timeoutMs: number): Promise<Result> {
    if (this.exited !== undefined) return Promise.reject(new AdapterFailure(this.exited))
    if (this.waiting) return Promise.reject(new AdapterFailure("runner bug: overlapping commands"))
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined
        reject(new AdapterFailure(`no result for ${command.type} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiting = {
        resolve: (result) => {
          clearTimeout(timer)
          resolve(result)
        },
        reject: (error) => {
          clearTimeout(timer)
          reject(error)
        },
      }
      this.child.stdin!.write(`${toLine(command)}\n`)
    })
  }

  async stop(): Promise<void> {
    if (this.exited === undefined && !this.waiting) {
      await this.send({ type: "shutdown" }, 2_000).catch(() => undefined)
    }
    if (this.exited === undefined) {
      let timer: ReturnType<typeof setTimeout> | undefined
      const exited = new Promise((resolve) => this.child.once("exit", resolve))
      this.child.kill()
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))])
      clearTimeout(timer)
    }
  }

  private onLine(line: string): void {
    const waiting = this.waiting
    if (!waiting) {
      if (line.trim() !== "") this.stderrTail += `\n[unexpected stdout] ${line.slice(0, 500)}`
      return
    }
    this.waiting = undefined
    let result: Result
    try {
      result = JSON.parse(line) as Result
    } catch {
      waiting.reject(new AdapterFailure(`adapter wrote a line that is not JSON: ${line.slice(0, 200)}`))
      return
    }
    if (typeof result !== "object" || result === null || typeof result.success !== "boolean") {
      waiting.reject(new AdapterFailure(`adapter wrote something that is not a result: ${line.slice(0, 200)}`))
      return
    }
    waiting.resolve(result)
  }

  private onExit(reason: string): void {
    this.exited ??= reason
    const waiting = this.waiting
    this.waiting = undefined
    waiting?.reject(new AdapterFailure(reason))
  }
}

/**
 * How to start an adapter: an executable file runs as it is; a JavaScript
 * file, or a node script whose executable bit got lost (an unpacked
 * tarball, a copy through a tool that drops modes), runs with this Node.
 */
function commandFor(executable: string): [string, string[]] {
  if (/\.[cm]?js$/.test(executable)) return [process.execPath, [executable]]
  try {
    accessSync(executable, constants.X_OK)
    return [executable, []]
  } catch {
    return firstLine(executable).startsWith("#!") && firstLine(executable).includes("node")
      ? [process.execPath, [executable]]
      : [executable, []]
  }
}

function firstLine(path: string): string {
  try {
    const fd = openSync(path, "r")
    try {
      const buffer = Buffer.alloc(128)
      const read = readSync(fd, buffer, 0, buffer.length, 0)
      return buffer.subarray(0, read).toString("utf8").split("\n")[0] ?? ""
    } finally {
      closeSync(fd)
    }
  } catch {
    return ""
  }
}
