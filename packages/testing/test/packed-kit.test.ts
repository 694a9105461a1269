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

/** Runs a command in `cwd`; a failure throws with everything it printed. */
function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout ?? ""}${stderr ?? ""}`)
  }
}

it("installs from its tarball and runs a user's vitest file", { timeout: 120_000 }, () => {
  if (!existsSync(join(packageDir, "dist/index.js"))) run("pnpm", ["run", "build"], packageDir)
  run("pnpm", ["pack", "--pack-destination", scratch], packageDir)
  const tarball = readdirSync(scratch).find((file) => file.endsWith(".tgz"))
  expect(tarball).toBeDefined()
  writeFileSync(join(scratch, "package.json"), JSON.stringify({ name: "user-app", private: true, type: "module" }))
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", `./${tarball}`, "vitest@^4", "msw@^2.9.0", "typescript@~5.9.3", "@types/node@^20.19.0"], scratch)
  copyFileSync(join(packageDir, "test/packed-kit/app.test.ts.txt"), join(scratch, "app.test.ts"))
  // The user's test type-checks against the shipped .d.ts files, under the
  // resolution a Node ESM project uses.
  writeFileSync(
    join(scratch, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: ["node"] },
      include: ["app.test.ts"],
    })
  )
  run(join(scratch, "node_modules/.bin/tsc"), ["-p", "."], scratch)
  const output = run(join(scratch, "node_modules/.bin/vitest"), ["run", "--root", scratch], scratch)
  expect(output).toMatch(/Tests\s+3 passed/)
})
