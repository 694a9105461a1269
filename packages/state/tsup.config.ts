import { defineConfig } from "tsup"

export default defineConfig({
  entry: ["src/index.ts", "src/tab-sharing.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  treeshake: true,
  // The layer below is a dependency, never bundled: one copy per app.
  external: ["@durable-client/json", "@durable-client/bytes"],
})
