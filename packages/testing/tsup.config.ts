import { defineConfig } from "tsup"

// A Node test kit, shipped as ESM only. Everything it talks to (the reference
// server, esbuild, playwright-core, vitest, msw) stays external. The nginx
// config is shipped beside dist/ (caching-proxy resolves ../nginx from it).
export default defineConfig({
  entry: { index: "src/index.ts", browser: "src/browser.ts", vitest: "src/vitest.ts" },
  format: ["esm"],
  platform: "node",
  target: "node20",
  dts: true,
  clean: true,
  sourcemap: true,
})
