import { defineConfig, type Options } from "tsup"

/**
 * Build settings every published layer shares: ESM + CJS + d.ts for modern
 * runtimes (es2022; React Native apps transpile further with their own Babel),
 * with the layers below kept external so an app has one copy of each.
 */
export function layerConfig(entry: string[], external: string[] = []): Options | Options[] {
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    sourcemap: true,
    target: "es2022",
    treeshake: true,
    // Shared chunks for CJS too (tsup's splitting; esbuild does it for ESM
    // only). Without it every CJS entry (index, internal, tab-sharing) carries
    // its own copy of the modules they share: two DurableStreamError classes,
    // two registries of state schemas, and `instanceof` or a schema check
    // across entries fails.
    splitting: true,
    external,
  }) as Options
}
