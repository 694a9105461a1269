import { defineConfig } from "tsup"

// The runner and both adapters as plain Node ESM, so the installed package
// runs with `node` alone (no TypeScript loader). Dependencies stay external:
// the runner's come from package.json, the adapters' SDKs are optional peers.
export default defineConfig({
  entry: {
    cli: "src/runner/cli.ts",
    "adapters/durable-client": "src/adapter/main.ts",
    "adapters/reference-client": "src/reference-adapter/main.ts",
  },
  format: ["esm"],
  platform: "node",
  target: "node20",
  outDir: "dist",
  clean: true,
  dts: false,
  sourcemap: false,
  splitting: true,
  external: ["yaml", "@durable-streams/server", "@durable-client/json", "@durable-streams/client"],
})
