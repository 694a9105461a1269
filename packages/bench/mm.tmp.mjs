import { build } from "esbuild"
import { gzipSync } from "node:zlib"
import { resolveEsm } from "./src/bundle-measure.mjs"
const names = process.argv[3] ? new RegExp(`^(${process.argv[3]})$`) : undefined
const r = await build({ entryPoints: [resolveEsm(process.argv[2])], bundle: true, minify: true, format: "esm", platform: "browser", target: "es2022", write: false, mangleProps: names, external: ["react"] })
const c = r.outputFiles[0].contents
console.log(c.length, gzipSync(c, { level: 9 }).length)
