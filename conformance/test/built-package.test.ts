import { execFileSync, spawnSync } from "node:child_process"
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Result } from "../src/protocol.ts"
import { AdapterProcess } from "../src/runner/adapter-process.ts"
import { ConformanceServer } from "../src/runner/server.ts"

// What ships: the built runner and adapters (dist/, made by tsup). Both tests
// here use the build. `pnpm test` has built everything already; run alone
// after an edit, the test builds first (not otherwise, so it never rewrites
// files other test files may be reading).
const packageDir = fileURLToPath(new URL("..", import.meta.url))
const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

function newestIn(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs)
  }
  return newest
}

function buildIsCurrent(): boolean {
  const outputs = [join(packageDir, "dist/cli.js"), join(repoRoot, "packages/json/dist/index.js"), join(repoRoot, "packages/bytes/dist/index.js")]
  if (!outputs.every((file) => existsSync(file))) return false
  return statSync(outputs[0]!).mtimeMs >= newestIn(join(packageDir, "src"))
}

beforeAll(() => {
  if (buildIsCurrent()) return
  execFileSync("pnpm", ["exec", "turbo", "run", "build", "--filter=@durable-client/conformance...", "--output-logs=errors-only"], {
    cwd: repoRoot,
    stdio: "ignore",
  })
}, 120_000)

describe("our adapter, built, answers in the public protocol's shapes", () => {
  let server: ConformanceServer
  let adapter: AdapterProcess
  // Results are checked field by field below, so they are read as plain records.
  const send = (command: Record<string, unknown> & { type: string }): Promise<Record<string, unknown>> =>
    adapter.send(command, 20_000) as Promise<Result & Record<string, unknown>>

  beforeAll(async () => {
    server = await ConformanceServer.start(500)
    adapter = new AdapterProcess(join(packageDir, "adapters", "durable-client"))
    await adapter.init(server.url)
  })

  afterAll(async () => {
    await adapter?.stop()
    await server?.stop()
  })

  it("reports the public feature flags", () => {
    expect(adapter.features).toMatchObject({ sse: true, longPoll: true, auto: true, streaming: true, batching: true, dynamicHeaders: true })
  })

  it("writes: 201 on create, 200 for an append the server answered 204, header names as given", async () => {
    const path = "/v1/stream/shapes-writes"
    expect(await send({ type: "create", path, contentType: "application/octet-stream" })).toMatchObject({ type: "create", success: true, status: 201, offset: expect.any(String) })
    await send({ type: "set-dynamic-header", name: "X-Custom-Header", valueType: "token", initialValue: "t1" })
    const appended = await send({ type: "append", path, data: "Hello World", headers: { "X-Request-Id": "r-1" } })
    await send({ type: "clear-dynamic" })
    expect(appended).toMatchObject({ type: "append", success: true, status: 200, offset: expect.any(String) })
    expect(appended.headersSent).toMatchObject({ "X-Custom-Header": "t1", "X-Request-Id": "r-1", "Content-Type": "application/octet-stream" })
    expect(Object.keys(appended.headersSent as object)).not.toContain("x-custom-header")
    expect(server.requests(path).filter((r) => r.method === "POST").map((r) => r.status)).toEqual([204])
  })

  it("reads: text data on a binary stream, base64 only for bytes that are not UTF-8", async () => {
    const path = "/v1/stream/shapes-reads"
    await send({ type: "create", path, contentType: "application/octet-stream" })
    await send({ type: "append", path, data: "SGVsbG8gV29ybGQ=", binary: true })
    const text = await send({ type: "read", path, live: false })
    expect(text).toMatchObject({ type: "read", success: true, status: 200, upToDate: true, streamClosed: false })
    expect(text.chunks).toEqual([{ data: "Hello World", offset: expect.any(String) }])
    await send({ type: "append", path, data: "AAABm/WLZTs=", binary: true })
    const binary = await send({ type: "read", path, offset: text.offset, live: false })
    expect(binary.chunks).toEqual([{ data: "AAABm/WLZTs=", binary: true, offset: expect.any(String) }])
  })

  it("live: true is auto, and a long-poll deadline equal to the server's wait ends up to date", async () => {
    const path = "/v1/stream/shapes-live"
    const created = await send({ type: "create", path, contentType: "text/plain", data: "abc" })
    expect(await send({ type: "read", path, live: true, waitForUpToDate: true, timeoutMs: 3000 })).toMatchObject({ success: true, upToDate: true, chunks: [{ data: "abc" }] })
    const head = await send({ type: "head", path })
    expect(head).toMatchObject({ type: "head", success: true, status: 200, offset: expect.any(String), contentType: "text/plain", streamClosed: false })
    expect(created.offset).toBe(head.offset)
    expect(await send({ type: "read", path, offset: head.offset, live: "long-poll", timeoutMs: 500 })).toMatchObject({ success: true, chunks: [], upToDate: true })
  })

  it("close, and a producer's close-only after another writer closed the stream is STREAM_CLOSED", async () => {
    const path = "/v1/stream/shapes-close"
    await send({ type: "create", path, contentType: "text/plain" })
    expect(await send({ type: "close", path })).toMatchObject({ type: "close", success: true, finalOffset: expect.any(String) })
    expect(await send({ type: "idempotent-close", path, producerId: "other", epoch: 0, autoClaim: false })).toMatchObject({
      type: "error",
      success: false,
      commandType: "idempotent-close",
      errorCode: "STREAM_CLOSED",
      status: 409,
    })
  })

  it("benchmarks: roundtrip and throughput create their streams; appends send one HEAD at most", async () => {
    for (const operation of [
      { op: "roundtrip", path: "/v1/stream/shapes-bench-roundtrip", size: 100, live: "long-poll" },
      { op: "throughput_append", path: "/v1/stream/shapes-bench-throughput", count: 50, size: 10, concurrency: 5 },
    ]) {
      const result = await send({ type: "benchmark", iterationId: operation.op, operation })
      expect(result).toMatchObject({ type: "benchmark", success: true, iterationId: operation.op, durationNs: expect.stringMatching(/^\d+$/) })
    }
    const path = "/v1/stream/shapes-bench-append"
    await fetch(`${server.url}${path}`, { method: "PUT", headers: { "content-type": "application/octet-stream" } })
    for (let i = 0; i < 3; i++) {
      expect(await send({ type: "benchmark", iterationId: `a${i}`, operation: { op: "append", path, size: 100 } })).toMatchObject({ success: true })
    }
    expect(server.requests(path).map((r) => r.method)).toEqual(["PUT", "HEAD", "POST", "POST", "POST"])
  })
})

describe("the packed package", () => {
  it(
    "installs from tarballs into a folder outside the repository and runs with npx",
    () => {
      const work = mkdtempSync(join(tmpdir(), "conformance-packed-"))
      try {
        const tarballs = join(work, "tarballs")
        const run = (command: string, args: string[], cwd: string): string =>
          execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, INIT_CWD: cwd, npm_config_yes: "false" } })
        for (const name of ["conformance", "json", "bytes"]) {
          run("pnpm", ["--filter", `@durable-client/${name}`, "exec", "pnpm", "pack", "--pack-destination", tarballs], repoRoot)
        }
        const tarball = (prefix: string): string => join(tarballs, readdirSync(tarballs).find((file) => file.startsWith(prefix))!)
        const project = join(work, "project")
        run("mkdir", ["-p", project], work)
        // The SDK is not on the registry, so its tarballs stand in for it
        // wherever it is depended on; everything else comes from the store.
        const sdk = { "@durable-client/json": `file:${tarball("durable-client-json-")}`, "@durable-client/bytes": `file:${tarball("durable-client-bytes-")}` }
        writeFileSync(
          join(project, "package.json"),
          JSON.stringify({
            name: "conformance-consumer",
            private: true,
            dependencies: { "@durable-client/conformance": `file:${tarball("durable-client-conformance-")}`, "@durable-client/json": sdk["@durable-client/json"] },
            pnpm: { overrides: sdk },
          })
        )
        run("pnpm", ["install", "--prefer-offline", "--ignore-workspace"], project)

        // As a user's shell would start it: relative paths are theirs, not pnpm's.
        const env: NodeJS.ProcessEnv = { ...process.env }
        delete env.INIT_CWD
        // Our SDK through the bundled adapter (the default), JSON lines on stdout.
        const ours = spawnSync("npx", ["@durable-client/conformance", "--suite", "catch-up", "--format", "json"], { cwd: project, encoding: "utf8", env })
        const lines = ours.stdout.trim().split("\n")
        expect(lines.at(-1), ours.stderr).toBe("15 passed, 0 failed, 0 skipped")
        expect(JSON.parse(lines[0]!)).toMatchObject({ adapter: "durable-client", suite: "catch-up", status: "pass" })
        const results = JSON.parse(readFileSync(join(project, "conformance-results.json"), "utf8")) as { runs: Array<{ summary: unknown }> }
        expect(results.runs[0]!.summary).toEqual({ passed: 15, failed: 0, skipped: 0 })

        // Someone else's adapter, given by a relative path: a plain node script.
        copyFileSync(fileURLToPath(new URL("./fixtures/public-protocol-adapter.mjs", import.meta.url)), join(project, "my-adapter.mjs"))
        const theirs = spawnSync("npx", ["@durable-client/conformance", "--adapter", "./my-adapter.mjs", "--case", "catch-up/reads-everything-from-the-start", "--results", "theirs.json"], { cwd: project, encoding: "utf8", env })
        expect(theirs.stdout.trim().split("\n").at(-1), theirs.stderr).toBe("1 passed, 0 failed, 0 skipped")
        expect(existsSync(join(project, "theirs.json"))).toBe(true)
      } finally {
        rmSync(work, { recursive: true, force: true })
      }
    },
    90_000
  )
})
