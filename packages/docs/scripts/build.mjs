#!/usr/bin/env node
// `pnpm docs` (after the packages are built): the docs site into site/, and
// its checks. Fails on an export without a doc comment (check-documented.mjs),
// a broken {@link} or relative link (TypeDoc's validation, warnings as
// errors), and a DurableStreamErrorCode missing from guides/error-codes.md.
// Prints one summary line in the shape `pnpm test` totals.
import { spawnSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

const docsDir = fileURLToPath(new URL("..", import.meta.url))
const problems = []

const typedoc = spawnSync(fileURLToPath(new URL("../node_modules/.bin/typedoc", import.meta.url)), ["--options", "typedoc.json"], {
  cwd: docsDir,
  stdio: "inherit",
})
if (typedoc.status !== 0) problems.push(`typedoc exited with ${typedoc.status ?? typedoc.signal} (see the errors and warnings above)`)

// Every code of the union in @durable-client/bytes has a row in the error-code guide.
const errorsSource = readFileSync(new URL("../../bytes/src/errors.ts", import.meta.url), "utf8")
const union = /export type DurableStreamErrorCode =([\s\S]*?)\n\n/.exec(errorsSource)?.[1] ?? ""
const codes = [...union.matchAll(/\|\s*"([A-Z_]+)"/g)].map((match) => match[1])
const guide = readFileSync(new URL("../guides/error-codes.md", import.meta.url), "utf8")
if (codes.length === 0) problems.push("could not read DurableStreamErrorCode from packages/bytes/src/errors.ts")
for (const code of codes) {
  if (!guide.includes(`| \`${code}\` |`)) problems.push(`guides/error-codes.md: no row for ${code}`)
}

if (problems.length > 0) console.error(problems.join("\n"))
console.log(`docs: ${problems.length === 0 ? 1 : 0} passed, ${problems.length === 0 ? 0 : 1} failed`)
process.exitCode = problems.length > 0 ? 1 : 0
