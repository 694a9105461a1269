#!/usr/bin/env node
// Project rules no compiler checks: the published packages must run unchanged in
// browsers, workers, Deno, Bun and React Native, and must be shaped for bundlers.
import { readFileSync, readdirSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))
// Every package we publish: a workspace package that is not private.
const published = readdirSync(join(root, "packages")).filter((name) => {
  try {
    return JSON.parse(readFileSync(join(root, "packages", name, "package.json"), "utf8")).private !== true
  } catch {
    return false
  }
})

// Globals and APIs that some supported runtime lacks (and that have no fallback here).
const forbidden = [
  [/from\s+["']node:/, "node: import"],
  [/\brequire\(/, "require()"],
  [/\bBuffer\b/, "Buffer"],
  [/\bprocess\./, "process"],
  [/\b__dirname\b|\b__filename\b/, "__dirname/__filename"],
  [/\bsetImmediate\b/, "setImmediate"],
  [/AbortSignal\.(any|timeout)\b/, "AbortSignal.any/timeout (missing in React Native)"],
]

const problems = []
for (const name of published) {
  const dir = join(root, "packages", name)
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
  // Node-only by design (the CLI): its shape is checked by publint/attw in check:packages.
  if (manifest.durableClient?.isomorphic === false) continue
  for (const file of walk(join(dir, "src"))) {
    const lines = readFileSync(file, "utf8").split("\n")
    lines.forEach((line, index) => {
      const code = line.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "")
      for (const [pattern, what] of forbidden) {
        if (pattern.test(code)) problems.push(`${relative(root, file)}:${index + 1}: ${what} is not isomorphic`)
      }
    })
  }
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
  if (pkg.sideEffects !== false) problems.push(`packages/${name}/package.json: sideEffects must be false`)
  if (!Array.isArray(pkg.files) || !pkg.files.includes("dist")) problems.push(`packages/${name}/package.json: files must list dist`)
  for (const [entry, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target !== "object") continue
    for (const condition of ["import", "require"]) {
      const keys = Object.keys(target[condition] ?? {})
      if (keys[0] !== "types") problems.push(`packages/${name}/package.json: exports["${entry}"].${condition} must list types first`)
    }
  }
}

function* walk(dir) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry)
    if (statSync(path).isDirectory()) yield* walk(path)
    else if (/\.tsx?$/.test(entry)) yield path
  }
}

// One summary line in the shape `pnpm test` totals: a package passes when it has no problem.
const failing = new Set(problems.map((problem) => problem.split("/")[1]))
if (problems.length > 0) console.error(problems.join("\n"))
console.log(`lint: ${published.length - failing.size} passed, ${failing.size} failed`)
process.exitCode = problems.length > 0 ? 1 : 0
