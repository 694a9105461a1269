import { chmodSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadCases } from "../src/runner/cases.ts"
import { runSuite, type CaseReport } from "../src/runner/run-suite.ts"
import { ConformanceServer } from "../src/runner/server.ts"

// The runner driving an adapter written to the public protocol (the fixture
// next to this file: plain fetch, text chunks, 200 for every write, headers
// spelt as configured, auto as `live: true`), over real cases and the real
// reference server.
const fixture = fileURLToPath(new URL("./fixtures/public-protocol-adapter.mjs", import.meta.url))
const casesRoot = fileURLToPath(new URL("../cases", import.meta.url))

let server: ConformanceServer
let log: string
let adapter: string

beforeAll(async () => {
  server = await ConformanceServer.start(500)
  const dir = mkdtempSync(join(tmpdir(), "conformance-fixture-"))
  log = join(dir, "commands.jsonl")
  // The runner starts adapters with no arguments; a wrapper passes the log path.
  adapter = join(dir, "adapter")
  writeFileSync(adapter, `#!/bin/sh\nFIXTURE_LOG='${log}' exec '${process.execPath}' '${fixture}'\n`)
  chmodSync(adapter, 0o755)
})

afterAll(async () => {
  await server.stop()
})

function casesFrom(yaml: string) {
  const root = mkdtempSync(join(tmpdir(), "conformance-cases-"))
  mkdirSync(join(root, "public"))
  writeFileSync(join(root, "public", "cases.yaml"), yaml)
  return loadCases(root)
}

function commandsSent(): Array<Record<string, unknown>> {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
}

function failures(reports: CaseReport[]): string[] {
  return reports.filter((r) => r.status !== "pass").map((r) => `${r.id}: ${r.status} ${r.reason ?? ""}`)
}

describe("an adapter written to the public protocol", () => {
  it("passes the catch-up suite unchanged", async () => {
    const cases = loadCases(casesRoot).filter((c) => c.suite === "catch-up")
    const run = await runSuite(adapter, cases, server, { concurrency: 2 })
    expect(run.clientName).toBe("fixture")
    expect(failures(run.reports)).toEqual([])
    expect(run.reports).toHaveLength(cases.length)
  })

  it("is read correctly: text chunks of a binary stream, 200 for a 204 write, header names as given, auto as live: true", async () => {
    const cases = casesFrom(`
cases:
  - name: text-data-on-an-octet-stream
    about: The public protocol sends chunk data as text, also for application/octet-stream.
    steps:
      - create: { contentType: application/octet-stream }
        expect: { status: 201 }
      - append: { data: "Hello World" }
        expect: { status: 200 }
      - read: {}
        expect: { text: "Hello World", base64: "SGVsbG8gV29ybGQ=", byteLength: 11, chunks.0.data: "Hello World" }
      - requests: { method: POST }
        expect: { last.status: 204 }

  - name: header-names-as-configured
    about: headersSent keeps the spelling the case used; lookups ignore case either way.
    steps:
      - create: { contentType: text/plain }
      - set-dynamic-header: { name: X-Request-Id, valueType: counter }
      - append: { data: "x" }
        expect: { headersSent.X-Request-Id: "1", headersSent.x-request-id: "1" }
      - requests: { method: POST }
        expect: { last.headers.x-request-id: "1" }

  - name: auto-goes-out-as-true
    about: A case's live auto reaches the adapter as the public protocol's live true.
    steps:
      - create: { contentType: text/plain, data: "abc" }
      - read: { live: auto, waitForUpToDate: true, timeoutMs: 3000 }
        expect: { text: abc, upToDate: true }

  - name: public-errors-are-read
    about: A public error result (errorCode and status) satisfies error expectations.
    steps:
      - head: { path: "/v1/stream/never-created" }
        expect: { error: NOT_FOUND, status: 404 }
`)
    const run = await runSuite(adapter, cases, server, { concurrency: 1 })
    expect(failures(run.reports)).toEqual([])
    const reads = commandsSent().filter((c) => c.type === "read" && String(c.path).includes("auto-goes-out-as-true"))
    expect(reads.map((c) => c.live)).toEqual([true])
  })

  it("is skipped, not failed, where it lacks a feature", async () => {
    const cases = loadCases(casesRoot).filter((c) => c.suite === "sse").slice(0, 2)
    const run = await runSuite(adapter, cases, server, { concurrency: 1 })
    expect(run.reports.map((r) => r.status)).toEqual(["skip", "skip"])
    expect(run.reports[0]!.reason).toMatch(/needs sse/)
  })
})
