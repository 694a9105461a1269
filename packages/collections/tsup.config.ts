import type { Options } from "tsup"
import { layerConfig } from "../tsconfig/tsup-layer"

// React lives in its own entry so the main one never pulls it in.
const base = layerConfig(
  ["src/index.ts", "src/react.ts", "src/tab-sharing.ts", "src/outbox.ts", "src/writable.ts"],
  ["@durable-client/state", "@durable-client/json", "@durable-client/bytes", "react"]
) as Options

export default {
  ...base,
  // Private members named `_…` are shortened in the published build, as in
  // the layers below: an app's bundler keeps property names whole. Nothing
  // outside this package may use such a name.
  esbuildOptions(options) {
    options.mangleProps = /^_[A-Za-z]/
  },
} satisfies Options
