import { writeFileSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { measureBundle, resolveEsm } from "../bundle-measure.mjs"

const KB = 1024

/**
 * What an app pays for `exports` (the text of a module re-exporting from our packages or the
 * reference's), in KB min+gzip: `withTexts`, and `codeOnly` (every text emptied).
 */
async function both(exports) {
  const dir = mkdtempSync(join(tmpdir(), "bundle-entry-"))
  try {
    const entry = join(dir, "entry.mjs")
    // Resolved to absolute files, so the entry can live outside the workspace.
    writeFileSync(entry, exports.replace(/from "([^"]+)"/g, (_, specifier) => `from ${JSON.stringify(resolveEsm(specifier))}`))
    const size = await measureBundle(entry, { emptyTexts: true })
    return { withTexts: size.gzipped / KB, codeOnly: size.withoutTexts.gzipped / KB }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const everything = (specifier) => `export * from "${specifier}"`
const kbOf = async (exports) => (await both(exports)).withTexts

/**
 * Scenario 6: bundle size of each layer and of the full stack (measured as `pnpm size` measures
 * it), and what shows how far down a layer can go: each without its texts (every string literal
 * and template text emptied, so no rewording of messages goes lower), and reading alone, the one
 * thing every app of the bytes layer does (ours: `ReadSession`; the reference: its `stream()`).
 */
export function bundleScenario() {
  return {
    name: "Bundle size (min+gzip)",
    detail: "esbuild, browser target, all dependencies bundled",
    once: true,
    async measureAll() {
      const bytes = await both(everything("@durable-client/bytes"))
      const bytesReference = await both(everything("@durable-streams/client"))
      const reading = await both(`export { ReadSession } from "@durable-client/bytes"`)
      const readingReference = await both(`export { stream } from "@durable-streams/client"`)
      const full = await both(everything("@durable-client/collections"))
      const fullReference = await both(everything("@durable-streams/state/db"))
      return [
        { metric: "bytes layer, KB", ours: bytes.withTexts, reference: bytesReference.withTexts },
        { metric: "bytes layer without texts, KB", ours: bytes.codeOnly, reference: bytesReference.codeOnly },
        { metric: "reading alone, KB", ours: reading.withTexts, reference: readingReference.withTexts },
        { metric: "reading alone without texts, KB", ours: reading.codeOnly, reference: readingReference.codeOnly },
        { metric: "json layer, KB", ours: await kbOf(everything("@durable-client/json")) },
        // Ours re-exports the layers below; the reference's state entry ships no client, so it is measured with it.
        {
          metric: "state layer (client + State Protocol), KB",
          ours: await kbOf(everything("@durable-client/state")),
          reference: await kbOf(`${everything("@durable-streams/client")}\n${everything("@durable-streams/state")}`),
        },
        { metric: "full stack (collections), KB", ours: full.withTexts, reference: fullReference.withTexts },
        { metric: "full stack without texts, KB", ours: full.codeOnly, reference: fullReference.codeOnly },
      ]
    },
    better: "lower",
  }
}
