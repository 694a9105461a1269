// The inspector page's script bundled from SOURCE (the SDK layers too), so
// the browser test checks the code in the tree rather than a stale build.
import { fileURLToPath } from "node:url"
import { build } from "esbuild"

const packages = fileURLToPath(new URL("../../../", import.meta.url))

export async function bundleInspectorPage(): Promise<string> {
  const result = await build({
    entryPoints: [`${packages}cli/src/inspector/page/main.ts`],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    sourcemap: "inline",
    alias: Object.fromEntries(
      ["bytes", "json", "state"].flatMap((layer) => [
        [`@durable-client/${layer}`, `${packages}${layer}/src/index.ts`],
        [`@durable-client/${layer}/internal`, `${packages}${layer}/src/internal.ts`],
      ])
    ),
    logLevel: "silent",
  })
  const output = result.outputFiles[0]
  if (output === undefined) throw new Error("esbuild produced no inspector bundle")
  return output.text
}
