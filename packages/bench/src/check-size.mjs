#!/usr/bin/env node
// `pnpm size [--modules] [--sources]`: the bundle-size budget, a suite of `pnpm test`. Bundles each
// layer's main entry from its built dist as an app would (src/bundle-measure.mjs) and fails when
// one is over its budget in size-budgets.json. `--modules` adds what each module contributes
// (measured against the sources, so the names are source files), minified and min+gzip.
import { readFileSync } from "node:fs"
import { measureBundle, resolveEsm } from "./bundle-measure.mjs"

const args = process.argv.slice(2)
const { layers } = JSON.parse(readFileSync(new URL("../size-budgets.json", import.meta.url), "utf8"))
const kb = (bytes) => (bytes / 1024).toFixed(1)

let passed = 0
let failed = 0
for (const [specifier, { budget, goal, external = [] }] of Object.entries(layers)) {
  const size = await measureBundle(resolveEsm(specifier), { external })
  const over = size.gzipped > budget * 1024
  if (over) failed++
  else passed++
  const target = goal === undefined ? "" : ` (goal ${goal} KB)`
  console.log(
    `${over ? "✗" : "✓"} ${specifier}: ${kb(size.gzipped)} KB min+gzip, budget ${budget} KB${target}; ${kb(size.minified)} KB minified`
  )
  if (args.includes("--modules")) {
    const bySource = await measureBundle(specifier, { external, sources: true })
    console.log("     minified  min+gzip  module (min+gzip: what the total loses without it)")
    for (const { path, minified, gzipped } of bySource.modules) {
      console.log(`    ${String(minified).padStart(9)} ${String(gzipped).padStart(9)}  ${path}`)
    }
  }
}
console.log(`${passed} passed, ${failed} failed, 0 skipped`)
process.exitCode = failed > 0 ? 1 : 0
