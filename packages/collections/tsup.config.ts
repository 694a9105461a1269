import { defineConfig } from "tsup"

export default defineConfig({
  // React lives in its own entry so the main one never pulls it in.
  entry: ["src/index.ts", "src/react.ts", "src/tab-sharing.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
  treeshake: true,
  external: ["@durable-client/state", "@durable-client/json", "@durable-client/bytes", "react"],
})
