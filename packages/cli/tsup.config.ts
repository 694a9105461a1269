import { defineConfig } from "tsup"

// Two builds into dist/ (emptied by the build script first: tsup runs the two
// configs side by side, so neither may clean the folder):
// - the CLI for Node 20+ (ESM only: a bin and a small programmatic entry),
//   with the SDK as a normal dependency;
// - the inspector page for browsers, one self-contained ES module with the
//   SDK bundled in, which the CLI serves from beside itself.
export default defineConfig([
  {
    entry: { index: "src/index.ts", cli: "src/cli.ts" },
    format: ["esm"],
    platform: "node",
    target: "node20",
    dts: { entry: { index: "src/index.ts" } },
    clean: false,
    sourcemap: true,
  },
  {
    entry: { "inspector-page": "src/inspector/page/main.ts" },
    format: ["esm"],
    platform: "browser",
    target: "es2022",
    noExternal: [/.*/],
    minify: true,
    dts: false,
    clean: false,
    sourcemap: false,
  },
])
