import { existsSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const PACKAGE_NAME = "@durable-client/conformance"

/**
 * This package's folder, found by walking up from this module: the same code
 * runs from `src/runner/` (in the repository) and from `dist/` (installed).
 */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, "package.json")
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }
      if (name === PACKAGE_NAME) return dir
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package folder above ${start}`)
  }
}

export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)))
export const casesDir = join(packageRoot, "cases")
export const bundledAdapter = (name: "durable-client" | "reference-client"): string => join(packageRoot, "adapters", name)
export const expectedOutcome = (name: string): string => join(packageRoot, "expected", `${name}.json`)

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as { version: string }).version
}

/** Version of an installed dependency, read from its package.json; "unknown" if it cannot be found. */
export function dependencyVersion(name: string): string {
  for (let dir = packageRoot; ; dir = dirname(dir)) {
    const manifest = join(dir, "node_modules", name, "package.json")
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, "utf8")) as { version: string }).version
    if (dirname(dir) === dir) return "unknown"
  }
}
