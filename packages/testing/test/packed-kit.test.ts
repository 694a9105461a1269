// The test kit as a user gets it: `pnpm pack` the package, install the tarball
// with npm into a scratch project outside the repo (its dependencies from the
// registry), and run a user's vitest file there. Catches what source-level
// tests cannot: files missing from the tarball, broken exports, dependencies
// only the workspace provides, and the nginx config path inside dist/.
import { execFileSync } from "node:child_process"
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, expect, it } from "vitest"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const scratch = mkdtempSync(join(tmpdir(), "durable-client-testing-packed-"))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } })
}

it("installs from its tarball and runs a user's vitest file", { timeout: 120_000 }, () => {
  if (!existsSync(join(packageDir, "dist/index.js"))) run("pnpm", ["run", "build"], packageDir)
  run("pnpm", ["pack", "--pack-destination", scratch], packageDir)
  const tarball = readdirSync(scratch).find((file) => file.endsWith(".tgz"))
  expect(tarball).toBeDefined()
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "user-app", private: true, type: "module" }))
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", `./${tarball}`, "vitest@^4", "msw@^2.9.0"], scratch)
  copyFileSync(join(packageDir, "test/packed-kit/app.test.ts.txt"), join(scratch, "app.test.ts"))
  const output = run(join(scratch, "node_modules/.bin/vitest"), ["run", "--root", scratch], scratch)
  expect(output).toMatch(/Tests\s+3 passed/)
})
