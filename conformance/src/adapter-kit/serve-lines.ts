/**
 * The adapter side of the line protocol, shared by every adapter in this
 * folder: one JSON command per stdin line, exactly one JSON result per stdout
 * line, in order. A handler that throws still answers (as an error result),
 * so the runner never waits for a line that will not come.
 */
import { createInterface } from "node:readline"
import { toLine, type Command, type CommandType, type Result } from "../protocol.ts"

export async function serveLines(
  name: string,
  handle: (command: Command) => Promise<Result>,
  errorResult: (commandType: CommandType, error: unknown) => Result
): Promise<void> {
  process.on("unhandledRejection", (reason) => {
    process.stderr.write(`[${name}] unhandled rejection: ${String(reason)}\n`)
  })
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of lines) {
    if (line.trim() === "") continue
    let command: Command
    try {
      command = JSON.parse(line) as Command
    } catch {
      const unreadable: Result = {
        type: "error",
        success: false,
        commandType: "init",
        errorCode: "PARSE_ERROR",
        message: `not a JSON command: ${line.slice(0, 200)}`,
      }
      process.stdout.write(`${toLine(unreadable)}\n`)
      continue
    }
    let result: Result
    try {
      result = await handle(command)
    } catch (error) {
      result = errorResult(command.type, error)
    }
    process.stdout.write(`${toLine(result)}\n`)
    if (command.type === "shutdown") break
  }
  process.exit(0)
}
