// The real Hermes engine, from the hermes-engine-cli package (Hermes 0.12.0;
// binaries for Linux x64, macOS and Windows). The built package is bundled
// the way Metro prepares it for React Native: every file, the package's
// included, goes through React Native's Babel preset (which compiles what
// Hermes cannot run: classes, async arrows, async generators, for await),
// then esbuild joins the modules into one script for the `hermes` command.
// That command has no network, so src/targets/hermes-entry.js runs the
// offline part of the scenario (see there).
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const require = createRequire(import.meta.url)

const BINARY = { linux: "linux64-bin/hermes", darwin: "osx-bin/hermes", win32: "win64-bin/hermes.exe" }[process.platform]

/** Path of the hermes binary, or undefined when the package has none for this platform. */
export function hermesBinary() {
  if (!BINARY || process.arch !== "x64") return undefined
  const path = join(packageDir, "node_modules/hermes-engine-cli", BINARY)
  return existsSync(path) ? path : undefined
}

const reactNativeBabel = {
  name: "react-native-babel",
  setup(build) {
    const babel = require("@babel/core")
    const preset = require.resolve("@react-native/babel-preset")
    build.onLoad({ filter: /\.(m?js|cjs)$/ }, async (args) => {
      const code = await readFile(args.path, "utf8")
      const out = await babel.transformAsync(code, {
        filename: args.path,
        babelrc: false,
        configFile: false,
        sourceType: "unambiguous",
        // esbuild links the modules; helpers are inlined instead of imported from @babel/runtime.
        presets: [[preset, { disableImportExportTransform: true, enableBabelRuntime: false }]],
      })
      return { contents: out.code, loader: "js" }
    })
  },
}

/** Bundles src/targets/hermes-entry.js for Hermes and runs it; resolves with { ok, result | error }. */
export async function runHermes({ timeoutMs }) {
  const binary = hermesBinary()
  const dir = await mkdtemp(join(tmpdir(), "durable-client-hermes-"))
  try {
    const outfile = join(dir, "bundle.js")
    await build({
      entryPoints: [join(packageDir, "src/targets/hermes-entry.js")],
      absWorkingDir: packageDir,
      bundle: true,
      format: "iife",
      platform: "neutral",
      // What Metro reads: the "react-native" condition and field first.
      conditions: ["react-native", "import"],
      mainFields: ["react-native", "module", "main"],
      target: "es2017",
      outfile,
      plugins: [reactNativeBabel],
      logLevel: "silent",
    })
    return await new Promise((resolve) => {
      const child = spawn(binary, [outfile], { stdio: ["ignore", "pipe", "pipe"] })
      let stdout = ""
      let stderr = ""
      child.stdout.on("data", (data) => (stdout += data))
      child.stderr.on("data", (data) => (stderr += data))
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
      child.on("error", (error) => resolve({ ok: false, error: { message: `could not start ${binary}: ${error.message}` } }))
      child.on("close", (code) => {
        clearTimeout(timer)
        const line = stdout.split("\n").reverse().find((text) => text.startsWith("RESULT "))
        if (!line) {
          const last = (stderr.trim() || stdout.trim()).split("\n").slice(0, 3).join(" ")
          resolve({ ok: false, error: { message: `hermes exited (code ${code}) without a result: ${last}` }, stderr: stderr || stdout })
          return
        }
        resolve(JSON.parse(line.slice("RESULT ".length)))
      })
    })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
