#!/usr/bin/env node
// `pnpm test:runtimes [--only name,name] [--verbose]`
//
// Runs scenario/smoke.js against the BUILT packages in every runtime they
// claim, all against one real reference server on loopback. One line per
// runtime (PASS / FAIL / SKIP), then "N passed, N failed, N skipped"; the
// exit code is 1 when anything failed. Failure details go to stderr.
import { spawn, spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { CHROMIUM_PATH, startChromium } from "./browser.mjs"
import { hermesBinary, runHermes } from "./hermes.mjs"
import { startServer } from "./server.mjs"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const targets = join(packageDir, "src/targets")
const RUNTIME_TIMEOUT_MS = 120_000

const args = process.argv.slice(2)
const verbose = args.includes("--verbose")
const onlyAt = args.indexOf("--only")
const only = onlyAt === -1 ? undefined : new Set(args[onlyAt + 1]?.split(","))

const bin = (name) => join(packageDir, "node_modules/.bin", name)

/** Each runtime: `run(serverUrl)` resolves with { ok, result } or { ok: false, error }, or `skip` says why not. */
const runtimes = [
  { name: "node-esm", run: (url) => runProcess(process.execPath, [join(targets, "esm.mjs"), url, "node-esm"]) },
  { name: "node-cjs", run: (url) => runProcess(process.execPath, [join(targets, "node-cjs.cjs"), url, "node-cjs"]) },
  { name: "bun", binary: bin("bun"), run: (url) => runProcess(bin("bun"), [join(targets, "esm.mjs"), url, "bun"]) },
  {
    name: "deno",
    binary: bin("deno"),
    run: (url) =>
      runProcess(
        bin("deno"),
        [
          "run",
          // The least the SDK needs: the network, to the stream server only.
          // No --allow-read or --allow-env: it reads no files or variables
          // (imported modules need no permission), and --no-prompt turns any
          // other permission request into an error instead of a hang.
          `--allow-net=${new URL(url).host}`,
          "--no-prompt",
          "--no-lock",
          // Resolve the workspace packages through the node_modules pnpm made.
          "--node-modules-dir=manual",
          join(targets, "esm.mjs"),
          url,
          "deno",
        ],
        { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }
      ),
  },
  { name: "chromium", browser: "page" },
  { name: "chromium-worker", browser: "worker" },
  {
    name: "react-native",
    run: async (url) => {
      const hermesGlobals = await readHermesGlobals()
      const env = hermesGlobals ? { HERMES_GLOBALS: JSON.stringify(hermesGlobals) } : {}
      return runProcess(process.execPath, [join(targets, "react-native.mjs"), url, "react-native"], env)
    },
  },
  {
    // The real engine, offline: the hermes command line has no network.
    name: "hermes-engine",
    skip: () => (hermesBinary() ? undefined : `hermes-engine-cli has no binary for ${process.platform}-${process.arch}`),
    run: () => runHermes({ timeoutMs: RUNTIME_TIMEOUT_MS }),
  },
]

const counts = { passed: 0, failed: 0, skipped: 0 }

function report(status, name, text) {
  if (status === "PASS") counts.passed++
  else if (status === "FAIL") counts.failed++
  else counts.skipped++
  console.log(`${status} ${name}${text}`)
}

function reasonOf(error) {
  let reason = error?.message ?? String(error)
  if (error?.cause?.message) reason += ` (cause: ${error.cause.message})`
  return reason.replace(/\s*\n\s*/g, " ")
}

function details(outcome) {
  const lines = []
  if (outcome.error?.stack) lines.push(outcome.error.stack)
  for (let cause = outcome.error?.cause; cause; cause = cause.cause) lines.push(`cause: ${cause.stack ?? cause.message}`)
  if (outcome.error?.browser) lines.push(...outcome.error.browser)
  if (outcome.stderr) lines.push(`stderr:\n${outcome.stderr.trimEnd()}`)
  return lines.join("\n").replace(/^/gm, "    ")
}

/** Spawns one runtime and reads its "RESULT <json>" line. */
function runProcess(command, commandArgs, extraEnv = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, commandArgs, {
      cwd: packageDir,
      env: { ...process.env, ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32",
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (data) => (stdout += data))
    child.stderr.on("data", (data) => (stderr += data))
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${RUNTIME_TIMEOUT_MS} ms)`
      try {
        process.kill(-child.pid, "SIGKILL")
      } catch {
        child.kill("SIGKILL")
      }
    }, RUNTIME_TIMEOUT_MS)
    child.on("error", (error) => {
      clearTimeout(timer)
      resolve({ ok: false, error: { message: `could not start ${command}: ${error.message}` } })
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const line = stdout.split("\n").reverse().find((text) => text.startsWith("RESULT "))
      if (!line) {
        const last = stderr.trim().split("\n").pop() ?? ""
        resolve({ ok: false, error: { message: `exited (${signal ?? `code ${code}`}) without a result${last ? `: ${last}` : ""}` }, stderr })
        return
      }
      const outcome = JSON.parse(line.slice("RESULT ".length))
      if (stderr.trim() !== "") outcome.stderr = stderr
      resolve(outcome)
    })
  })
}

/** The global names of the real Hermes engine (hermes-engine-cli), or undefined when it cannot run here. */
async function readHermesGlobals() {
  const binary = hermesBinary()
  if (!binary) return undefined
  const dir = await mkdtemp(join(tmpdir(), "durable-client-hermes-"))
  try {
    const probe = join(dir, "globals.js")
    await writeFile(probe, "print(JSON.stringify(Object.getOwnPropertyNames(globalThis)))\n")
    const run = spawnSync(binary, [probe], { encoding: "utf8", timeout: 10_000 })
    if (run.status !== 0) return undefined
    return JSON.parse(run.stdout)
  } catch {
    return undefined
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The version a binary reports: the first x.y.z in its output, or what `pattern` captures. */
function version(command, versionArgs, pattern = /(\d+\.\d+\.\d+)/) {
  if (!command || !existsSync(command)) return "missing"
  const run = spawnSync(command, versionArgs, { encoding: "utf8", timeout: 30_000 })
  if (run.status !== 0) return "not runnable"
  return pattern.exec(run.stdout)?.[1] ?? run.stdout.trim().split("\n")[0]
}

const selected = runtimes.filter((runtime) => !only || only.has(runtime.name))
const server = await startServer()
console.log(
  `runtimes against the reference server at ${server.url}: node ${process.version}, bun ${version(bin("bun"), ["--version"])}, ` +
    `deno ${version(bin("deno"), ["--version"])}, hermes ${version(hermesBinary(), ["-version"], /Hermes release version: (\S+)/)}`
)

let chromium
let chromiumProblem
const wantsBrowser = selected.some((runtime) => runtime.browser)
if (wantsBrowser) {
  if (!existsSync(CHROMIUM_PATH)) {
    chromiumProblem = { skip: `${CHROMIUM_PATH} not found (apt-get install chromium); the browser part was skipped, not failed` }
  } else {
    try {
      chromium = await startChromium({ timeoutMs: RUNTIME_TIMEOUT_MS })
      console.log(`chromium ${chromium.version} (${CHROMIUM_PATH})`)
    } catch (error) {
      chromiumProblem = { fail: `could not start ${CHROMIUM_PATH}: ${reasonOf(error)}` }
    }
  }
}

try {
  for (const runtime of selected) {
    if (runtime.browser && chromiumProblem) {
      if (chromiumProblem.skip) report("SKIP", runtime.name, `: ${chromiumProblem.skip}`)
      else report("FAIL", runtime.name, `: ${chromiumProblem.fail}`)
      continue
    }
    const skip = runtime.skip?.()
    if (skip) {
      report("SKIP", runtime.name, `: ${skip}`)
      continue
    }
    if (runtime.binary && !existsSync(runtime.binary)) {
      report("FAIL", runtime.name, `: ${runtime.binary} not found (pnpm install installs it from the lockfile)`)
      continue
    }
    const started = Date.now()
    let outcome
    try {
      outcome = runtime.browser ? await chromium.run(runtime.browser, server.url, runtime.name) : await runtime.run(server.url)
    } catch (error) {
      outcome = { ok: false, error: { message: reasonOf(error), stack: error?.stack } }
    }
    const elapsed = Date.now() - started
    if (outcome.ok) {
      report("PASS", runtime.name, ` (${elapsed} ms)`)
      if (verbose) console.error(`    ${JSON.stringify(outcome.result)}`)
    } else {
      const more = details(outcome)
      if (more) console.error(more)
      report("FAIL", runtime.name, `: ${reasonOf(outcome.error)}`)
    }
  }
} finally {
  await chromium?.close().catch(() => undefined)
  await server.stop()
}

console.log(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`)
process.exit(counts.failed > 0 ? 1 : 0)
