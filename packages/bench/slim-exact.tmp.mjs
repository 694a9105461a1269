import { measureBundle, resolveEsm } from "./src/bundle-measure.mjs"
for (const p of ["bytes","json","state","collections"]) { const r = await measureBundle(resolveEsm(`@durable-client/${p}`)); console.log(p, r.gzipped, r.minified) }
