// The single vitest config for the whole monorepo. It lives here rather than
// at the top level because the repo root is kept to workspace manifests only.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import type { TestProjectInlineConfiguration } from "vitest/config";
import { PlainSummaryReporter } from "./src/plain-summary-reporter.ts";

const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

// Workspace package directories that may carry tests; mirrors
// pnpm-workspace.yaml ("packages/*", "examples/*", "conformance").
function candidatePackageDirs(): string[] {
  const dirs: string[] = [];
  for (const group of ["packages", "examples"]) {
    const groupDir = join(repoRoot, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir, { withFileTypes: true })) {
      if (entry.isDirectory()) dirs.push(join(groupDir, entry.name));
    }
  }
  dirs.push(join(repoRoot, "conformance"));
  return dirs;
}

function packageName(dir: string): string {
  try {
    const manifest: unknown = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    if (typeof manifest === "object" && manifest !== null && "name" in manifest) {
      const { name } = manifest;
      if (typeof name === "string" && name !== "") return name;
    }
  } catch {
    // No manifest yet: fall back to the path, which is unique as well.
  }
  return relative(repoRoot, dir);
}

// Tests run against the sources of the layers below, never a build that may
// be stale: every published package's entry points (its `exports`, whose
// files are built from `src/<entry>.ts`) resolve to those sources. The
// runtime matrix and package-shape checks are what test the builds.
function sourceAliases(): Array<{ find: RegExp; replacement: string }> {
  const aliases: Array<{ find: RegExp; replacement: string }> = [];
  for (const dir of candidatePackageDirs()) {
    let manifest: { name?: string; private?: boolean; exports?: Record<string, unknown> };
    try {
      manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    } catch {
      continue;
    }
    if (manifest.private || !manifest.name || !manifest.exports) continue;
    for (const subpath of Object.keys(manifest.exports)) {
      if (subpath === "./package.json") continue;
      const entry = subpath === "." ? "index" : subpath.slice(2);
      const source = ["ts", "tsx"].map((ext) => join(dir, "src", `${entry}.${ext}`)).find((file) => existsSync(file));
      if (!source) continue;
      const specifier = subpath === "." ? manifest.name : `${manifest.name}/${entry}`;
      aliases.push({ find: new RegExp(`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`), replacement: source });
    }
  }
  return aliases;
}

// One project per package with a test/ folder, discovered on every run, so a
// new package's tests are picked up without touching this file. Projects keep
// the per-package name in vitest's output and failure listings.
const projects: TestProjectInlineConfiguration[] = candidatePackageDirs()
  .filter((dir) => existsSync(join(dir, "test")))
  .map((dir) => ({
    // Inherit testTimeout, hookTimeout and the rest from the root config.
    extends: true,
    test: {
      name: packageName(dir),
      include: [`${relative(repoRoot, dir)}/test/**/*.test.{ts,tsx}`],
    },
  }));

export default defineConfig({
  root: repoRoot,
  resolve: { alias: sourceAliases() },
  test: {
    projects,
    // Integration tests talk to a real server over loopback, sometimes
    // through a slow fault proxy; 30 s leaves room without hiding hangs.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default", new PlainSummaryReporter()],
  },
});
