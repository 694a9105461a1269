// The BUILT bin, as a user runs it: a separate process with real stdio,
// exit codes and signals (Ctrl-C, a closed pipe). Needs `pnpm build` first
// (`pnpm test` does it), like the other tests of built output.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { useReferenceServer, waitFor } from "@durable-client/testing/vitest"
import { beforeAll, describe, expect, it } from "vitest"

const bin = fileURLToPath(new URL("../../dist/cli.js", import.meta.url))
const server = useReferenceServer()

interface Spawned {
  child: ChildProcessWithoutNullStreams
  stdout(): string
  stderr(): string
  exit: Promise<number | null>
}

function spawnBin(args: string[], env: Record<string, string> = {}): Spawned {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  })
  let stdout = ""
  let stderr = ""
  child.stdout.on("data", (data) => (stdout += data))
  child.stderr.on("data", (data) => (stderr += data))
  const exit = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)))
  return { child, stdout: () => stdout, stderr: () => stderr, exit }
}

async function runBin(args: string[], input?: string, env?: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const spawned = spawnBin(args, env)
  spawned.child.stdin.end(input ?? "")
  const code = await spawned.exit
  return { code, stdout: spawned.stdout(), stderr: spawned.stderr() }
}

describe("the durable-client bin", () => {
  beforeAll(() => {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: run "pnpm build" (pnpm test does) before this test`)
  })

  it("prints its version and help", async () => {
    expect((await runBin(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
    const help = await runBin(["--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("exit codes:")
    expect((await runBin(["nope"])).code).toBe(1)
  })

  it("creates, appends piped stdin and reads it back", async () => {
    const url = server.streamUrl()
    expect((await runBin(["create", url, "--json"])).code).toBe(0)
    const appended = await runBin(["append", url], '{"n":1}\n{"n":2}\n')
    expect(appended.code).toBe(0)
    const read = await runBin(["read", "-q"], undefined, { DURABLE_STREAM_URL: url })
    expect(read.code).toBe(0)
    expect(read.stdout).toBe('{"n":1}\n{"n":2}\n')
    expect(read.stderr).toBe(`offset=${appended.stdout.trim()}\n`)
  })

  it("Ctrl-C stops a tail with exit 130, the offset to resume from as its last line", async () => {
    const url = server.streamUrl()
    await runBin(["create", url, "--content-type", "text/plain"])
    const tail = spawnBin(["tail", url])
    await waitFor(() => /going live|waiting for new data/.test(tail.stderr()), "the tail to go live")
    const appended = await runBin(["append", url, "hello\n"])
    await waitFor(() => tail.stdout() === "hello\n", "the live data")
    tail.child.kill("SIGINT")
    expect(await tail.exit).toBe(130)
    expect(tail.stderr().trimEnd().split("\n").at(-1)).toBe(`offset=${appended.stdout.trim()}`)
  })

  it("ends quietly with 0 when its reader goes away (… | head -1)", async () => {
    const url = server.streamUrl()
    await runBin(["create", url, "--content-type", "text/plain", "first\n"])
    const reader = spawnBin(["read", url, "--live"])
    await waitFor(() => reader.stdout() === "first\n", "the first line")
    reader.child.stdout.destroy()
    // The next write finds the pipe closed.
    await runBin(["append", url, "x".repeat(100_000)])
    expect(await reader.exit).toBe(0)
    expect(reader.stderr()).not.toMatch(/EPIPE|INTERNAL/)
  })

  it("inspect serves the page and proxies reads until Ctrl-C (exit 130); the token stays in the process", async () => {
    const url = server.streamUrl()
    await runBin(["create", url, "--json", '{"hello":"inspector"}'])
    const inspect = spawnBin(["inspect", url], { DURABLE_STREAM_TOKEN: "inspector-secret-token" })
    await waitFor(() => inspect.stdout().includes("\n"), "the inspector's address")
    const pageUrl = inspect.stdout().trim()
    expect(pageUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?stream=/)
    const origin = new URL(pageUrl).origin
    const page = await fetch(pageUrl)
    expect(page.headers.get("content-type")).toContain("text/html")
    expect(await page.text()).toContain("/inspector.js")
    const script = await fetch(`${origin}/inspector.js`)
    expect(script.status).toBe(200)
    expect((await script.text()).length).toBeGreaterThan(10_000)
    const config = await (await fetch(`${origin}/api/config`)).text()
    expect(config).not.toContain("inspector-secret-token")
    const name = new URL(url).pathname.split("/").at(-1)
    const proxied = await fetch(`${origin}/api/stream/${name}?offset=-1`)
    expect(proxied.status).toBe(200)
    expect(proxied.headers.get("stream-next-offset")).toMatch(/^\d+_\d+$/)
    // Only our page may use what the proxy returns.
    expect(proxied.headers.get("cross-origin-resource-policy")).toBe("same-origin")
    expect(proxied.headers.get("access-control-allow-origin")).toBeNull()
    expect(await proxied.json()).toEqual([{ hello: "inspector" }])
    expect((await fetch(`${origin}/api/stream/${name}`, { method: "POST", body: "[1]" })).status).toBe(405)
    inspect.child.kill("SIGINT")
    expect(await inspect.exit).toBe(130)
    expect(inspect.stderr()).not.toContain("inspector-secret-token")
  })
})
