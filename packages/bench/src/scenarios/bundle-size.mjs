import { build } from "esbuild"
import { gzipSync } from "node:zlib"
import { createRequire } from "node:module"

const require = createRequire(import.meta.url)

/** min + gzip of an entry bundled for browsers, every dependency included. */
async function gzippedSize(entry) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    external: ["react"],
  })
  return gzipSync(result.outputFiles[0].contents, { level: 9 }).length
}

function resolveEsm(specifier) {
  // The ESM entry, as a browser bundler would pick it.
  return require.resolve(specifier).replace(/\.cjs$/, ".js")
}

/** Scenario 6: bundle size of each layer and of the full stack. */
export function bundleScenario() {
  return {
    name: "Bundle size (min+gzip)",
    detail: "esbuild, browser target, all dependencies bundled",
    once: true,
    async measureAll() {
      const kb = async (specifier) => (await gzippedSize(resolveEsm(specifier))) / 1024
      return [
        { metric: "bytes layer, KB", ours: await kb("@durable-client/bytes"), reference: await kb("@durable-streams/client") },
        { metric: "json layer, KB", ours: await kb("@durable-client/json") },
        // No reference figure: its state entry ships no client, ours re-exports the layers below.
        { metric: "state layer, KB", ours: await kb("@durable-client/state") },
        { metric: "full stack (collections), KB", ours: await kb("@durable-client/collections"), reference: await kb("@durable-streams/state/db") },
      ]
    },
    better: "lower",
  }
}
