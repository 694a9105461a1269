#!/usr/bin/env node
// The `durable-client` bin: `run` with this process's stdio, environment and
// signals. The first Ctrl-C (or SIGTERM) cancels the command cleanly (a read
// prints its resume offset); a second one exits at once.
import { run } from "./run"

const controller = new AbortController()
let interrupts = 0
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    interrupts++
    if (interrupts > 1) process.exit(signal === "SIGTERM" ? 143 : 130)
    controller.abort(signal)
  })
}
// A reader that went away (`… | head -1`) surfaces as a failed write, which
// ends the command quietly; without a listener Node would crash on the
// stream's "error" event instead.
process.stdout.on("error", () => undefined)

process.exitCode = await run({
  argv: process.argv.slice(2),
  env: process.env,
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
})
// Open keep-alive sockets or a pending stdin read must not hold the exit;
// stderr is drained first so the last line is never cut off.
await new Promise((resolve) => process.stderr.write("", resolve))
process.exit()
