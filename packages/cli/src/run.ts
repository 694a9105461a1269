import { isDurableStreamError } from "@durable-client/state"
import packageJson from "../package.json"
import { describeOptions, GLOBAL_OPTIONS, parseCommandArgs } from "./args"
import type { Command } from "./command"
import { COMMANDS } from "./commands/index"
import { createContext, type CommandContext } from "./context"
import { EXIT, exitCodeFor } from "./exit-codes"
import { isBrokenPipe, type CliEnvironment } from "./io"
import { createRedactor, maskUserInfo } from "./redact"
import { ENV } from "./target"
import { isUsageError, usageError } from "./usage-error"

/** The CLI's version, from its package.json. */
export const VERSION: string = packageJson.version

/**
 * Runs one command line and resolves with its exit code; never rejects.
 * The `durable-client` bin is this with the process's stdio, environment
 * and signals; tests call it with their own.
 *
 * @example
 * const code = await run({ argv: ["head", url], stdout: process.stdout, stderr: process.stderr })
 */
export async function run(io: CliEnvironment): Promise<number> {
  const signal = io.signal ?? new AbortController().signal
  const [name, ...rest] = io.argv
  let context: CommandContext | undefined
  try {
    if (name === undefined || name === "help" || name === "--help" || name === "-h") {
      const topic = name === "help" ? rest[0] : undefined
      const command = topic === undefined ? undefined : findCommand(topic)
      // Asked for, help is the output; without a command it explains a usage error, on stderr.
      ;(name === undefined ? io.stderr : io.stdout).write(command ? commandHelp(command) : mainHelp())
      return name === undefined ? EXIT.USAGE : EXIT.OK
    }
    if (name === "--version" || name === "-v") {
      io.stdout.write(`${VERSION}\n`)
      return EXIT.OK
    }
    const command = findCommand(name)
    const args = parseCommandArgs(rest, command.options)
    if (args.values.help === true) {
      io.stdout.write(commandHelp(command))
      return EXIT.OK
    }
    context = createContext(io, args, signal)
    const code = (await command.run(context, args)) ?? EXIT.OK
    return signal.aborted ? interruptedCode(signal) : code
  } catch (error) {
    if (signal.aborted) return interruptedCode(signal)
    if (isBrokenPipe(error)) return EXIT.OK
    const redact = context?.redact ?? createRedactor([])
    const { code, message, hint } = describeError(error)
    io.stderr.write(`${redact(`durable-client: ${code}: ${message}${hint ? ` (${hint})` : ""}`).replace(/\r?\n/g, " ")}\n`)
    if (isUsageError(error) && name !== undefined) io.stderr.write(`see: durable-client ${COMMANDS.some((c) => c.name === name) ? `${name} ` : ""}--help\n`)
    return isUsageError(error) || isDurableStreamError(error) ? exitCodeFor(code) : EXIT.INTERNAL
  }
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((candidate) => candidate.name === name)
  if (!command) throw usageError(`unknown command "${name}"`)
  return command
}

function interruptedCode(signal: AbortSignal): number {
  return signal.reason === "SIGTERM" ? EXIT.TERMINATED : EXIT.INTERRUPTED
}

const HINTS: Record<string, string> = {
  NOT_FOUND: "check the URL, or create the stream first: durable-client create",
  UNAUTHORIZED: `set ${ENV.token}, --token or --header "Authorization: …"`,
  FORBIDDEN: "the credentials do not allow this",
  NETWORK: "is the server running, and the URL right?",
}

function describeError(error: unknown): { code: string; message: string; hint?: string } {
  if (isUsageError(error)) return { code: error.code, message: error.message }
  if (isDurableStreamError(error)) {
    const hint = HINTS[error.code]
    return { code: error.code, message: maskUserInfo(error.message), ...(hint ? { hint } : {}) }
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return { code: "INTERNAL", message: `unexpected failure, please report it: ${message}` }
}

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.usage.length))
  return [
    `durable-client ${VERSION}: a command line for Durable Streams`,
    "",
    "usage: durable-client <command> [options]",
    "",
    "commands:",
    ...COMMANDS.map((command) => `  ${command.usage.padEnd(width)}  ${command.summary}`),
    "",
    "options for every command:",
    describeOptions(GLOBAL_OPTIONS),
    "",
    "environment:",
    `  ${ENV.url}       the stream, when no URL is given`,
    `  ${ENV.baseUrl}  resolve stream names against this URL (like --base-url)`,
    `  ${ENV.token}     sent as Authorization: Bearer <token>`,
    `  ${ENV.headers}   extra headers, one "Name: value" per line`,
    "",
    "exit codes: 0 ok, 1 usage, 2 stream refused (NOT_FOUND, CONFLICT, STREAM_CLOSED, …), 3 auth,",
    "            4 unavailable (NETWORK, TIMEOUT, 5xx), 5 bad data from the server, 70 bug,",
    "            130 interrupted (Ctrl-C), 143 terminated",
    "",
    "durable-client <command> --help shows a command's options.",
    "",
  ].join("\n")
}

function commandHelp(command: Command): string {
  return [
    `usage: durable-client ${command.usage} [options]`,
    "",
    command.summary,
    ...(command.details ? ["", command.details] : []),
    "",
    ...(Object.keys(command.options).length > 0 ? ["options:", describeOptions(command.options), ""] : []),
    "options for every command:",
    describeOptions(GLOBAL_OPTIONS),
    "",
  ].join("\n")
}
