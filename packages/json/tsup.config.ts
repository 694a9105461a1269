import type { Options } from "tsup"
import { layerConfig } from "../tsconfig/tsup-layer"

const base = layerConfig(
  ["src/index.ts", "src/tab-sharing.ts", "src/indexeddb.ts", "src/outbox.ts", "src/writable.ts", "src/internal.ts"],
  ["@durable-client/bytes"]
) as Options

export default {
  ...base,
  // Private members named `_…` are shortened in the
  // published build, as in @durable-client/bytes: an app's bundler keeps
  // property names whole. Nothing outside this package may use such a name.
  esbuildOptions(options) {
    options.mangleProps = /^_[A-Za-z]/
  },
} satisfies Options
