import type { Options } from "tsup"
import { layerConfig } from "../tsconfig/tsup-layer"

const base = layerConfig(["src/index.ts", "src/tab-sharing.ts", "src/internal.ts"]) as Options

export default {
  ...base,
  // The read path is one class per session (read-session.ts, read-machine.ts,
  // live-supervisor.ts) whose private members are named `_…`: shortened in
  // the published build, since an app's bundler keeps property names whole
  // (issue 15: ~0.6 KB min+gzip of every layer). Nothing outside this package
  // may use such a name.
  esbuildOptions(options) {
    options.mangleProps = /^_[A-Za-z]/
  },
} satisfies Options
