#!/usr/bin/env node
// `pnpm test`: build once, then run every suite — typecheck and lint, the docs site, vitest
// (unit, integration, browser), the conformance suite, the package-shape checks, the bundle-size
// budget and the runtime matrix — each printing its own "N passed, N failed, N skipped" line. A
// failing suite does not stop the others, so one run shows everything that is
// wrong; the last line is the total over all of them and the exit code is
// non-zero if anything failed.
import { spawn } from "node:child_process"

const suites = [
  // Types (including the type tests under test/types) and the isomorphism and
  // package-shape rules: a broken one fails `pnpm test`, not just `pnpm lint`.
  ["typecheck + lint", ["lint"]],
  // The docs site: an export without a doc comment or a broken link fails it.
  ["docs", ["--filter", "@durable-client/docs", "run", "docs"]],
  ["vitest", ["exec", "vitest", "run", "--config", "packages/testing/vitest.config.ts"]],
  ["conformance", ["conformance"]],
  ["package shape", ["check:packages"]],
  // Each layer's min+gzip size against packages/bench/size-budgets.json.
  ["bundle size", ["--filter", "@durable-client/bench", "run", "size"]],
  ["runtime matrix", ["test:runtimes"]],
]
const SUMMARY = /^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/

function run(args) {
  return new Promise((resolve) => {
    const child = spawn("pnpm", args, { stdio: ["ignore", "pipe", "inherit"] })
    let last
    let pending = ""
    child.stdout.on("data", (data) => {
      process.stdout.write(data)
      pending += data.toString("utf8")
      const lines = pending.split("\n")
      pending = lines.pop() ?? ""
      for (const line of lines) {
        // eslint-disable-next-line no-control-regex -- strip terminal colours before matching
        const match = SUMMARY.exec(line.replace(/\u001b\[[0-9;]*m/g, "").trim())
        if (match) last = match.slice(1, 4).map((n) => Number(n ?? 0))
      }
    })
    child.on("close", (code) => resolve({ code, counts: last }))
  })
}

const build = await run(["exec", "turbo", "run", "build", "--output-logs=errors-only"])
if (build.code !== 0) {
  console.log("build failed: no tests were run")
  process.exit(1)
}

const total = [0, 0, 0]
const lines = []
let broken = false
for (const [name, args] of suites) {
  const { code, counts } = await run(args)
  if (counts) counts.forEach((n, i) => (total[i] += n))
  // A suite that crashed before its summary counts as one failure, so it can't vanish from the total.
  if (code !== 0 && (!counts || counts[1] === 0)) total[1] += 1
  if (code !== 0) broken = true
  lines.push(`  ${name}: ${counts ? `${counts[0]} passed, ${counts[1]} failed, ${counts[2]} skipped` : "no summary"}${code !== 0 ? ` (exit ${code})` : ""}`)
}
console.log(`\nsuites:\n${lines.join("\n")}`)
console.log(`total: ${total[0]} passed, ${total[1]} failed, ${total[2]} skipped`)
process.exitCode = broken ? 1 : 0
