// The tests' caching proxy (nginx with the root README's configuration, a
// request counter in front of the origin) for the benchmark. The harness is
// TypeScript in packages/testing and this package runs plain Node, so it is
// bundled on the fly, as the bundle-size scenario bundles the SDK.
import { build } from "esbuild"
import { fileURLToPath, pathToFileURL } from "node:url"

const entry = fileURLToPath(new URL("../../testing/src/caching-proxy.ts", import.meta.url))

/** The `caching-proxy.ts` module: `hasNginx`, `startCachingProxy`, `NGINX_MISSING_MESSAGE`. */
export async function loadCachingProxy() {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    write: false,
    logLevel: "silent",
    // The module finds its nginx config next to its source file.
    define: { "import.meta.url": JSON.stringify(pathToFileURL(entry).href) },
  })
  const code = Buffer.from(result.outputFiles[0].contents).toString("base64")
  return import(`data:text/javascript;base64,${code}`)
}
