// The one way we measure bundle size, shared by the size-budget suite (`pnpm size`, part of
// `pnpm test`) and the bench's bundle scenario: what an app pays for importing an entry.
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
 * `modules` names the source file each byte came from (sizes agree with dist within a few bytes).
 */
export async function measureBundle(entry, { external = [], sources = false } = {}) {
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
  })
  const code = result.outputFiles[0].contents
  const inputs = Object.values(result.metafile.outputs)[0].inputs
  const modules = Object.entries(inputs)
    .map(([path, { bytesInOutput }]) => ({ path: shortPath(path), minified: bytesInOutput }))
    .filter((module) => module.minified > 0)
    .sort((a, b) => b.minified - a.minified)
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, modules }
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
