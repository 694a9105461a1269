import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const exampleDir = fileURLToPath(new URL("..", import.meta.url))
// The tour imports the BUILT package, exactly as a user's app would.
const builtBytes = fileURLToPath(new URL("../../../packages/bytes/dist/index.js", import.meta.url))

interface TourRun {
  code: number | null
  stdout: string
  stderr: string
  elapsedMs: number
}

function runTour(): Promise<TourRun> {
  const startedAt = Date.now()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["src/main.mjs"], { cwd: exampleDir })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text))
    child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text))
    // A hung tour must fail this test, not stall the suite.
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000)
    child.on("error", (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - startedAt })
    })
  })
}

describe("quickstart tour", () => {
  it("runs every step against an embedded server and exits 0", async () => {
    if (!existsSync(builtBytes)) {
      throw new Error(`${builtBytes} is missing: run "pnpm build" (pnpm test does) before this test`)
    }
    const run = await runTour()
    expect(run.stderr).toBe("")
    expect(run.code, run.stdout).toBe(0)

    const steps = [
      "1. Create a stream",
      "2. Append",
      "3. Catch-up read",
      "4. Live tail by SSE",
      "5. Live tail by long-poll",
      "6. Cancel, then resume from the saved offset",
      "7. Close: live readers reach end of stream",
      "8. Delete",
    ]
    const positions = steps.map((heading) => run.stdout.indexOf(heading))
    expect(positions.every((position) => position >= 0), run.stdout).toBe(true)
    expect([...positions].sort((a, b) => a - b)).toEqual(positions)

    for (const line of [
      "embedded Durable Streams reference server on http://127.0.0.1:",
      "ok: a new stream was created (201)",
      "ok: the read returned exactly what was appended",
      '<- sse delivered "tick 3\\n"',
      '<- long-poll delivered "tock 2\\n"',
      "ok: first session + resumed session = everything written, nothing lost or repeated",
      "ok: iteration ended at EOF (closed=true)",
      "append after close -> STREAM_CLOSED",
      "HEAD -> NOT_FOUND",
      "=== json: messages, written exactly once",
      "ok: every token arrived exactly once, in order",
      "ok: the final message came last and the stream is closed",
      "=== state: a materialized view",
      "ok: the view holds exactly what the events say",
      "ok: the restart replayed only what it had not seen",
      "=== forks and the outbox: branch a chat, fork a view, survive a crash",
      "ok: the branch shares the chat up to that message, then goes its own way",
      "ok: the fork's view began from a copy of the source's state and read only the fork's suffix",
      "ok: each note is stored exactly once, in order",
      "=== collections: live queries and optimistic actions",
      "ok: the optimistic row is visible before the server answered",
      "ok: window 2's live query followed window 1's actions",
      "server stopped",
    ]) {
      expect(run.stdout).toContain(line)
    }
    // Each live chunk is narrated as it arrives, once.
    expect(run.stdout.match(/<- sse delivered/g)).toHaveLength(3)
    expect(run.stdout.match(/<- long-poll delivered/g)).toHaveLength(2)
  })
})
