#!/usr/bin/env node
// `pnpm check:packages`: the shape of the published packages, as a
// consumer's tools see the packed tarball.
//
// - publint --strict: exports/main/module/types point at files that are in
//   the tarball, formats match file extensions, conditions are in a working
//   order. Warnings fail; suggestions are printed only.
// - attw --pack --profile strict (Are The Types Wrong): every entry point,
//   subpaths included, resolves to JavaScript AND matching types under
//   node10 (TypeScript "moduleResolution": "node", old Metro, Jest and
//   webpack 4, none of which read "exports"), node16 from CJS, node16 from
//   ESM and bundler. "strict" is the profile for dual ESM+CJS packages
//   like ours ("esm-only" would skip the require() side). The CLI is a Node
//   program shipped as ESM only (a bin and a small `run`/`startInspector`
//   entry), so it is checked with "esm-only", and so is the Node test kit
//   (@durable-client/testing); the cells that profile ignores
//   are printed as "(ignored)" and are not problems.
//
// One line per check (PASS / FAIL), then "N passed, N failed, N skipped".
import { spawn } from "node:child_process"
import { readFileSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const packagesDir = fileURLToPath(new URL("../..", import.meta.url))
// Every package we publish: a workspace package under packages/ that is not private.
const LAYERS = readdirSync(packagesDir).filter((name) => {
  try {
    return JSON.parse(readFileSync(join(packagesDir, name, "package.json"), "utf8")).private !== true
  } catch {
    return false
  }
})
const ATTW_PROFILES = { cli: "esm-only", testing: "esm-only" }
const bin = (name) => join(packageDir, "node_modules/.bin", name)

function run(command, args) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(command, args, {
      cwd: packageDir,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let output = ""
    child.stdout.on("data", (data) => (output += data))
    child.stderr.on("data", (data) => (output += data))
    child.on("error", (error) => resolve({ code: -1, output: `could not start ${command}: ${error.message}`, ms: 0 }))
    child.on("close", (code) => resolve({ code, output, ms: Date.now() - started }))
  })
}

/** publint: the numbered messages under "Errors:" and "Warnings:". */
function publintProblems(output) {
  const problems = []
  let section
  for (const line of output.split("\n")) {
    if (/^(Errors|Warnings|Suggestions):/.test(line)) section = line.slice(0, -1)
    else if (section !== "Suggestions" && section && /^\d+\. /.test(line)) problems.push(line.replace(/^\d+\. /, ""))
  }
  return problems
}

/** attw (ascii format): each entry point and resolution mode that is not green. */
function attwProblems(output) {
  const problems = []
  let entry
  for (const line of output.split("\n")) {
    const heading = /^"(.+)"$/.exec(line.trim())
    if (heading) entry = heading[1]
    const cell = /^(node10|node16 \(from CJS\)|node16 \(from ESM\)|bundler): (.+)$/.exec(line.trim())
    if (entry && cell && !cell[2].startsWith("🟢") && !cell[2].startsWith("(ignored)")) {
      let problem = `${entry} under ${cell[1]}: ${cell[2].replace(/^\S+\s*/, "")}`
      const subpath = /^@durable-client\/[^/]+\/(.+)$/.exec(entry)?.[1]
      if (cell[1] === "node10" && subpath && subpath !== "package.json") {
        problem += ` (add ${subpath}/package.json with main/module/types into dist and list "${subpath}" in files)`
      }
      problems.push(problem)
    }
  }
  if (problems.length === 0) {
    for (const line of output.split("\n")) {
      if (/arethetypeswrong.*problems/.test(line) && !line.startsWith("(ignored")) problems.push(line.replace(/\s*https:\S+/, "").trim())
    }
  }
  return problems
}

const checks = LAYERS.flatMap((layer) => {
  const dir = join(packagesDir, layer)
  const { name } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
  return [
    { label: `publint ${name}`, command: bin("publint"), args: ["run", dir, "--strict"], problems: publintProblems },
    { label: `attw ${name}`, command: bin("attw"), args: ["--pack", dir, "--profile", ATTW_PROFILES[layer] ?? "strict", "--format", "ascii"], problems: attwProblems },
  ]
})

const results = await Promise.all(checks.map((check) => run(check.command, check.args)))
let passed = 0
let failed = 0
checks.forEach((check, i) => {
  const { code, output, ms } = results[i]
  const problems = check.problems(output)
  if (code === 0 && problems.length === 0) {
    passed++
    console.log(`PASS ${check.label} (${ms} ms)`)
  } else {
    failed++
    console.error(output.trimEnd().replace(/^/gm, "    "))
    const reason = problems.length > 0 ? problems.join("; ") : `exited with code ${code}`
    console.log(`FAIL ${check.label}: ${reason}`)
  }
})
console.log(`${passed} passed, ${failed} failed, 0 skipped`)
process.exit(failed > 0 ? 1 : 0)
