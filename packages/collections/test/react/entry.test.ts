import { existsSync, readFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

// Checks the built package (run `pnpm turbo run build --filter @durable-client/collections` first):
// an app that never uses the React binding must not need React installed.
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const dist = join(packageDir, "dist")

const specifiers = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g

/** Every bare module an entry file loads, following its relative imports (shared chunks). */
function externalImports(entry: string): Set<string> {
  const external = new Set<string>()
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const code = readFileSync(file, "utf8")
    for (const [, specifier] of code.matchAll(specifiers)) {
      if (specifier!.startsWith(".")) visit(resolve(dirname(file), specifier!))
      else external.add(specifier!)
    }
  }
  visit(join(dist, entry))
  return external
}

const isReact = (specifier: string): boolean => /^react(-dom)?(\/|$)/.test(specifier)

describe("entry points", () => {
  it("the main entry (ESM and CJS) imports no react", () => {
    for (const entry of ["index.js", "index.cjs"]) {
      expect(existsSync(join(dist, entry)), `${entry} missing: build the package first`).toBe(true)
      const imports = [...externalImports(entry)]
      expect(imports.filter(isReact), entry).toEqual([])
      expect(imports).toContain("@durable-client/state")
    }
  })

  it("the react entry is where react comes in", () => {
    for (const entry of ["react.js", "react.cjs"]) expect([...externalImports(entry)].some(isReact), entry).toBe(true)
  })

  it("the source of the main entry does not reach the React binding", () => {
    const index = readFileSync(join(packageDir, "src/index.ts"), "utf8")
    expect(index).not.toMatch(/["']\.\/react["']/)
    expect(index).not.toMatch(/["']react["']/)
  })

  it("package.json exposes the binding only as ./react, with react an optional peer", () => {
    const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
      exports: Record<string, { import: { default: string } }>
      dependencies?: Record<string, string>
      peerDependenciesMeta?: Record<string, { optional?: boolean }>
    }
    expect(manifest.exports["./react"]?.import.default).toBe("./dist/react.js")
    expect(manifest.exports["."]?.import.default).toBe("./dist/index.js")
    expect(manifest.dependencies?.react).toBeUndefined()
    expect(manifest.peerDependenciesMeta?.react?.optional).toBe(true)
  })
})
