import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"

/**
 * Starts the reference server in its own process (server-process.mjs), so
 * the bench process's CPU time and heap are the client's alone. `env`
 * reaches the server (BENCH_LONG_POLL_MS: its long-poll wait).
 */
export async function startServer(env = {}) {
  const child = fork(fileURLToPath(new URL("./server-process.mjs", import.meta.url)), {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, ...env },
    // The in-memory server holds every stream of the run (two of 200 MiB, a million
    // events several times): more than Node's default heap, which ended one run.
    execArgv: ["--max-old-space-size=8192"],
  })
  const url = await new Promise((resolve, reject) => {
    child.once("message", (message) => resolve(message.url))
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)))
  })
  const exited = new Promise((resolve) => child.once("exit", resolve))
  return {
    url,
    async stop() {
      child.send("stop")
      await exited
    },
  }
}
