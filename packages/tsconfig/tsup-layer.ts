import { defineConfig, type Options } from "tsup"

/**
 * Build settings every published layer shares: ESM + CJS + d.ts for modern
 * runtimes (es2022; React Native apps transpile further with their own Babel),
 * with the layers below kept external so an app has one copy of each.
 */
export function layerConfig(
  entry: string[],
  external: string[] = [],
  { shortenPrivateNames = false }: { shortenPrivateNames?: boolean } = {}
): Options | Options[] {
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
    // Private members named `_…` are shortened in the published build: an
    // app's bundler keeps property names whole (issue 15: ~0.5 KB min+gzip a
    // layer). Nothing outside the package may use such a name. Opt-in: a
    // package that reads another library's `_…` properties (Yjs has some)
    // must not have them renamed.
    ...(shortenPrivateNames && {
      esbuildOptions(options) {
        options.mangleProps = /^_[A-Za-z]/
      },
    }),
  }) as Options
}
