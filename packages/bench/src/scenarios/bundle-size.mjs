import { measureBundle, resolveEsm } from "../bundle-measure.mjs"

const kb = async (specifier) => (await measureBundle(resolveEsm(specifier))).gzipped / 1024

/** Scenario 6: bundle size of each layer and of the full stack (measured as `pnpm size` measures it). */
export function bundleScenario() {
  return {
    name: "Bundle size (min+gzip)",
    detail: "esbuild, browser target, all dependencies bundled",
    once: true,
    async measureAll() {
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
