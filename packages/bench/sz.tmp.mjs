import { readFileSync } from "node:fs"
import { measureBundle, resolveEsm } from "./src/bundle-measure.mjs"
const { layers } = JSON.parse(readFileSync(new URL("./size-budgets.json", import.meta.url), "utf8"))
for (const [specifier, { budget, external = [] }] of Object.entries(layers)) {
  const size = await measureBundle(resolveEsm(specifier), { external })
  console.log(specifier, size.gzipped, budget * 1024, size.gzipped - budget * 1024)
}
