// The one way we measure bundle size, shared by the size-budget suite (`pnpm size`, part of
// `pnpm test`) and the bench's bundle scenario: what an app pays for importing an entry.
import { tokenizer } from "acorn"
import { build } from "esbuild"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

const require = createRequire(import.meta.url)
const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url))
const packagesDir = `${repositoryRoot}packages/`

/** The ESM entry of a package specifier, as a browser bundler picks it. */
export function resolveEsm(specifier) {
  return require.resolve(specifier).replace(/\.cjs$/, ".js")
}

/**
 * Bundles `entry` as an app would ship it (esbuild, browser platform, es2022, minified, every
 * dependency included except `external`) and returns its size minified and min+gzip (level 9).
 * With `sources: true` our own packages resolve to their TypeScript sources instead of dist, so
 * `modules` names the source file each byte came from (sizes agree with dist within a few bytes),
 * with `gzipped` per module: how much the min+gzip total shrinks without that module's bytes.
 * With `emptyTexts: true` it also returns `withoutTexts`: the same output with every string literal
 * and template text emptied (it no longer runs), minified and min+gzip: what the code costs without
 * its messages, header names and other texts, a lower bound no rewording can go under.
 */
export async function measureBundle(entry, { external = [], sources = false, emptyTexts = false } = {}) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    metafile: true,
    // Module paths in the breakdown read from the repository root (packages/bytes/src/…).
    absWorkingDir: repositoryRoot,
    external: ["react", ...external],
    plugins: sources ? [ourSources] : [],
    sourcemap: sources ? "external" : false,
    outdir: "out",
  })
  const output = result.outputFiles.find((file) => file.path.endsWith(".js"))
  const code = output.contents
  const gzipped = gzipSize(code)
  const inputs = Object.values(result.metafile.outputs).find((output) => output.entryPoint).inputs
  let modules = Object.entries(inputs)
    .map(([path, { bytesInOutput }]) => ({ path: shortPath(path), minified: bytesInOutput }))
    .filter((module) => module.minified > 0)
  if (sources) {
    const map = JSON.parse(result.outputFiles.find((file) => file.path.endsWith(".map")).text)
    const owners = byteOwners(code, map)
    modules = modules.map((module) => {
      const index = map.sources.findIndex((source) => shortPath(source) === module.path)
      const rest = code.filter((_, at) => owners[at] !== index)
      return { ...module, gzipped: gzipped - gzipSize(rest) }
    })
  }
  const measured = { minified: code.length, gzipped, modules: modules.sort((a, b) => b.minified - a.minified) }
  if (!emptyTexts) return measured
  const bare = Buffer.from(withoutTexts(output.text))
  return { ...measured, withoutTexts: { minified: bare.length, gzipped: gzipSize(bare) } }
}

const gzipSize = (code) => gzipSync(code, { level: 9 }).length

/** `code` with every string literal as `""` and every template's text empty (its `${…}` kept). */
function withoutTexts(code) {
  let kept = ""
  let from = 0
  for (const token of tokenizer(code, { ecmaVersion: "latest", sourceType: "module" })) {
    const label = token.type.label
    if (label !== "string" && label !== "template") continue
    kept += code.slice(from, token.start) + (label === "string" ? '""' : "")
    from = token.end
  }
  return kept + code.slice(from)
}

/** For each byte of the output, the index of the source it maps to (-1: none), from a v3 source map. */
function byteOwners(code, map) {
  const owners = new Int32Array(code.length).fill(-1)
  const lineStarts = [0]
  code.forEach((byte, at) => byte === 10 && lineStarts.push(at + 1))
  let source = 0
  map.mappings.split(";").forEach((line, lineIndex) => {
    let column = 0
    let previous
    for (const segment of line.split(",").filter(Boolean)) {
      const [columnDelta, sourceDelta] = decodeVlq(segment)
      column += columnDelta
      if (sourceDelta !== undefined) source += sourceDelta
      const start = lineStarts[lineIndex] + column
      if (previous) owners.fill(previous.source, previous.start, start)
      previous = { start, source: sourceDelta === undefined ? -1 : source }
    }
    if (previous) owners.fill(previous.source, previous.start, lineStarts[lineIndex + 1] ?? code.length)
  })
  return owners
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

function decodeVlq(segment) {
  const values = []
  let value = 0
  let shift = 0
  for (const char of segment) {
    const digit = BASE64.indexOf(char)
    value += (digit & 31) << shift
    shift += 5
    if (digit & 32) continue
    values.push(value & 1 ? -(value >>> 1) : value >>> 1)
    value = 0
    shift = 0
  }
  return values
}

/** `@durable-client/<layer>[/<entry>]` → `packages/<layer>/src/<entry or index>.ts`. */
const ourSources = {
  name: "durable-client-sources",
  setup(build) {
    build.onResolve({ filter: /^@durable-client\/[^/]+(\/[^/]+)?$/ }, ({ path }) => {
      const [, layer, entry] = /^@durable-client\/([^/]+)\/?(.*)$/.exec(path)
      return { path: `${packagesDir}${layer}/src/${entry || "index"}.ts` }
    })
  },
}

function shortPath(path) {
  const ours = /(?:^|\/)packages\/(.+)$/.exec(path)
  if (ours && !ours[1].includes("node_modules")) return ours[1]
  const dependency = /node_modules\/(?!\.pnpm)((?:@[^/]+\/)?[^/]+)\//.exec(path.split("node_modules/.pnpm/").pop())
  return dependency ? `${dependency[1]} (dependency)` : path
}
