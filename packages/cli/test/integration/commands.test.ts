// Every command end to end against the real reference server, through
// `run` with injected stdio: output, the resume offset, exit codes and the
// one-line errors.
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { JsonStream } from "@durable-client/state"
import { useReferenceServer } from "@durable-client/testing/vitest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { controlledInput, resumeOffset, runCli, startCli } from "../support/cli"

const server = useReferenceServer()
const OFFSET = /^\d+_\d+$/
/** The progress line a read prints once it is live. */
const LIVE = /going live|waiting for new data/

describe("create, append and read", () => {
  it("creates a stream, appends an argument and stdin, and reads it all back with the offset to resume from", async () => {
    const url = server.streamUrl()
    const created = await runCli(["create", url, "--content-type", "text/plain"])
    expect(created.code).toBe(0)
    expect(created.stdout.trim()).toMatch(OFFSET)
    expect(created.stderr).toContain("created")

    const first = await runCli(["append", url, "hello "])
    expect(first.code).toBe(0)
    const afterFirst = first.stdout.trim()
    expect(afterFirst).toMatch(OFFSET)
    const second = await runCli(["append", url], { stdin: "world\n" })
    expect(second.code).toBe(0)
    expect(second.stdout.trim() > afterFirst).toBe(true)

    const read = await runCli(["read", url])
    expect(read.code).toBe(0)
    expect(read.stdout).toBe("hello world\n")
    expect(resumeOffset(read)).toBe(second.stdout.trim())

    // From the first append's offset: only what came after it.
    const rest = await runCli(["read", url, "--offset", afterFirst, "-q"])
    expect(rest.stdout).toBe("world\n")
    expect(rest.stderrLines).toEqual([`offset=${second.stdout.trim()}`])
  })

  it("creating again with the same settings succeeds; with other settings it is a CONFLICT (exit 2)", async () => {
    const url = server.streamUrl()
    expect((await runCli(["create", url, "--json"])).code).toBe(0)
    const again = await runCli(["create", url, "--json"])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain("exists already")
    const other = await runCli(["create", url, "--content-type", "text/plain"])
    expect(other.code).toBe(2)
    expect(other.stderrLines).toHaveLength(1)
    expect(other.stderr).toMatch(/^durable-client: CONFLICT: /)
  })

  it("passes binary stdin through untouched, both ways", async () => {
    const url = server.streamUrl()
    await runCli(["create", url])
    const bytes = new Uint8Array(300).map((_, i) => (i * 7) % 256)
    expect((await runCli(["append", url], { stdin: bytes })).code).toBe(0)
    const read = await runCli(["read", url])
    expect(read.stdoutBytes).toEqual(bytes)
  })

  it("streams stdin as it arrives: each piece is stored before the input ends", async () => {
    const url = server.streamUrl()
    await runCli(["create", url, "--content-type", "text/plain"])
    const input = controlledInput()
    const append = startCli(["append", url], { stdin: input.stdin })
    input.push("first line\n")
    const handle = new JsonStream({ url }).stream
    await expect.poll(async () => (await handle.read().text()), { timeout: 5_000 }).toBe("first line\n")
    input.push("second line\n")
    input.end()
    const result = await append.done
    expect(result.code).toBe(0)
    expect(await handle.read().text()).toBe("first line\nsecond line\n")
  })

  it("a --producer-id reused by a later run claims a new epoch and appends", async () => {
    const url = server.streamUrl()
    await runCli(["create", url, "--content-type", "text/plain"])
    expect((await runCli(["append", url, "a", "--producer-id", "nightly-job"])).code).toBe(0)
    expect((await runCli(["append", url, "b", "--producer-id", "nightly-job"])).code).toBe(0)
    expect((await runCli(["read", url])).stdout).toBe("ab")
  })

  it("Ctrl-C while stdin is silent ends an append with 130, keeping what was read", async () => {
    const url = server.streamUrl()
    await runCli(["create", url, "--content-type", "text/plain"])
    const input = controlledInput()
    const append = startCli(["append", url], { stdin: input.stdin })
    input.push("kept\n")
    const handle = new JsonStream({ url }).stream
    await expect.poll(async () => (await handle.read().text()), { timeout: 5_000 }).toBe("kept\n")
    append.interrupt()
    const result = await append.done
    expect(result.code).toBe(130)
    expect(result.stderr).toContain("interrupted")
    expect(await handle.read().text()).toBe("kept\n")
  })

  it("with --offset-file, starts from the saved offset and saves it after every batch", async () => {
    const dir = await mkdtemp(join(tmpdir(), "durable-client-cli-"))
    try {
      const url = server.streamUrl()
      await runCli(["create", url, "--content-type", "text/plain", "one\n"])
      const first = await runCli(["read", url, "--offset-file", "position"], { cwd: dir })
      expect(first.stdout).toBe("one\n")
      expect((await readFile(join(dir, "position"), "utf8")).trim()).toBe(resumeOffset(first))
      await runCli(["append", url, "two\n"])
      const second = await runCli(["read", url, "--offset-file", "position"], { cwd: dir })
      expect(second.stdout).toBe("two\n")
      const third = await runCli(["read", url, "--offset-file", join(dir, "position")])
      expect(third.stdout).toBe("")
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe("JSON streams", () => {
  it("appends JSON values (argument, JSON lines, pretty-printed) and reads one message per line", async () => {
    const url = server.streamUrl()
    const created = await runCli(["create", url, "--json", '{"n":0}'])
    expect(created.code).toBe(0)
    // A JSON stream takes JSON without --json; an array stays one message.
    expect((await runCli(["append", url, "[1,2]"])).code).toBe(0)
    const stdin = '{"n":1}\n{"n":2}\n{\n  "n": 3,\n  "text": "a } inside"\n}\n"four" 5'
    const appended = await runCli(["append", url, "--json"], { stdin })
    expect(appended.code).toBe(0)
    expect(appended.stderr).toContain("appended 5 messages")

    const read = await runCli(["read", url])
    expect(read.code).toBe(0)
    expect(read.stdout.trim().split("\n").map((line) => JSON.parse(line))).toEqual([
      { n: 0 },
      [1, 2],
      { n: 1 },
      { n: 2 },
      { n: 3, text: "a } inside" },
      "four",
      5,
    ])
    // --raw prints the stream's bytes (JSON arrays of messages) as they are.
    const raw = await runCli(["read", url, "--raw"])
    expect(raw.stdout.startsWith("[")).toBe(true)
  })

  it("refuses invalid JSON before sending it (exit 1), and stops stdin at the first bad value", async () => {
    const url = server.streamUrl()
    await runCli(["create", url, "--json"])
    const bad = await runCli(["append", url, "{nope"])
    expect(bad.code).toBe(1)
    expect(bad.stderrLines[0]).toMatch(/^durable-client: USAGE: the data is not valid JSON/)
    const partly = await runCli(["append", url], { stdin: '{"ok":1}\n{"ok":2}\n{broken\n{"ok":3}\n' })
    expect(partly.code).toBe(1)
    expect(partly.stderr).toContain("stdin value #3 is not valid JSON")
    // What came before the bad value is stored, nothing after it.
    expect(await new JsonStream({ url }).read().json()).toEqual([{ ok: 1 }, { ok: 2 }])
  })

  it("--json on a byte stream is a usage error", async () => {
    const url = server.streamUrl()
    await runCli(["create", url, "--content-type", "text/plain"])
    const result = await runCli(["read", url, "--json"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("--json needs an application/json stream")
  })
})

describe("live reads", () => {
  for (const mode of [[], ["--sse"], ["--long-poll"]]) {
    it(`tail ${mode.join(" ") || "(auto)"} prints new data live, and Ctrl-C ends it with 130 and the offset to resume from`, async () => {
      const url = server.streamUrl()
      await runCli(["create", url, "--content-type", "text/plain", "before\n"])
      const tail = startCli(["tail", url, ...mode])
      await tail.waitForStderr(LIVE)
      await runCli(["append", url, "live one\n"])
      await tail.waitForOutput("live one\n")
      await runCli(["append", url, "live two\n"])
      await tail.waitForOutput("live two\n")
      tail.interrupt()
      const result = await tail.done
      expect(result.code).toBe(130)
      expect(result.stdout).toBe("live one\nlive two\n")
      const offset = resumeOffset(result)
      // Resuming there: nothing lost, nothing repeated.
      await runCli(["append", url, "after\n"])
      expect((await runCli(["read", url, "--offset", offset])).stdout).toBe("after\n")
    })
  }

  it("read --live on a JSON stream prints messages live until the stream is closed, then exits 0", async () => {
    const url = server.streamUrl()
    await runCli(["create", url, "--json", '{"n":1}'])
    const reader = startCli(["read", url, "--live"])
    await reader.waitForOutput('{"n":1}\n')
    await runCli(["append", url, '{"n":2}'])
    await reader.waitForOutput('{"n":2}\n')
    const closed = await runCli(["close", url, '{"n":3}'])
    expect(closed.code).toBe(0)
    const result = await reader.done
    expect(result.code).toBe(0)
    expect(result.stdout).toBe('{"n":1}\n{"n":2}\n{"n":3}\n')
    expect(result.stderr).toContain("end of stream: it is closed")
    expect(resumeOffset(result)).toBe(closed.stdout.trim())
  })

  it("SIGTERM ends a tail with 143", async () => {
    const url = server.streamUrl()
    await runCli(["create", url])
    const tail = startCli(["tail", url])
    await tail.waitForStderr(LIVE)
    tail.interrupt("SIGTERM")
    expect((await tail.done).code).toBe(143)
  })
})

describe("head, close, delete", () => {
  it("head prints metadata lines, or one JSON object", async () => {
    const url = server.streamUrl()
    const created = await runCli(["create", url, "--content-type", "text/plain", "--ttl", "3600", "abc"])
    const lines = await runCli(["head", url])
    expect(lines.code).toBe(0)
    expect(lines.stdout).toContain(`content-type: text/plain`)
    expect(lines.stdout).toContain(`offset: ${created.stdout.trim()}`)
    expect(lines.stdout).toContain("closed: false")
    expect(lines.stdout).toContain("ttl-seconds: 3600")
    const json = JSON.parse((await runCli(["head", url, "--json"])).stdout)
    expect(json).toMatchObject({ url, contentType: "text/plain", offset: created.stdout.trim(), closed: false, ttlSeconds: 3600 })
  })

  it("head of a missing stream exits 2 with one NOT_FOUND line", async () => {
    const result = await runCli(["head", server.streamUrl()])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe("")
    expect(result.stderrLines).toHaveLength(1)
    expect(result.stderrLines[0]).toMatch(/^durable-client: NOT_FOUND: .*404/)
  })

  it("close is idempotent without data; appends after it fail with STREAM_CLOSED (exit 2)", async () => {
    const url = server.streamUrl()
    await runCli(["create", url, "--content-type", "text/plain", "a"])
    const closed = await runCli(["close", url])
    expect(closed.code).toBe(0)
    expect(closed.stdout.trim()).toMatch(OFFSET)
    expect((await runCli(["close", url])).code).toBe(0)
    expect((await runCli(["head", url])).stdout).toContain("closed: true")
    const append = await runCli(["append", url, "b"])
    expect(append.code).toBe(2)
    expect(append.stderr).toMatch(/^durable-client: STREAM_CLOSED: /)
    // A close with data on a closed stream is an append: refused too.
    expect((await runCli(["close", url, "c"])).code).toBe(2)
  })

  it("delete removes the stream", async () => {
    const url = server.streamUrl()
    await runCli(["create", url])
    const deleted = await runCli(["delete", url])
    expect(deleted.code).toBe(0)
    expect(deleted.stderr).toContain("deleted")
    expect((await runCli(["head", url])).code).toBe(2)
    expect((await runCli(["delete", url])).code).toBe(2)
  })
})

describe("fork", () => {
  it("forks at an offset: the fork has the source's data before it, then its own", async () => {
    const source = server.streamUrl()
    await runCli(["create", source, "--json", '{"n":1}'])
    const at = (await runCli(["append", source, '{"n":2}'])).stdout.trim()
    await runCli(["append", source, '{"n":3}'])
    const target = server.streamUrl()
    const forked = await runCli(["fork", source, target, "--offset", at])
    expect(forked.code).toBe(0)
    expect(forked.stdout.trim()).toBe(at)
    expect(forked.stderr).toContain("forked")
    await runCli(["append", target, '{"fork":true}'])
    expect((await runCli(["read", target])).stdout).toBe('{"n":1}\n{"n":2}\n{"fork":true}\n')
    // The source is untouched, and a fork of the tail is the default.
    expect((await runCli(["read", source])).stdout).toBe('{"n":1}\n{"n":2}\n{"n":3}\n')
    const tailFork = server.streamUrl()
    expect((await runCli(["fork", source, tailFork])).code).toBe(0)
    expect((await runCli(["read", tailFork])).stdout).toBe('{"n":1}\n{"n":2}\n{"n":3}\n')
    // The same fork again is idempotent.
    const again = await runCli(["fork", source, target, "--offset", at])
    expect(again.code).toBe(0)
    expect(again.stderr).toContain("exists already")
  })

  it("--sub-offset splits a JSON batch by messages", async () => {
    const source = server.streamUrl()
    const start = (await runCli(["create", source, "--json"])).stdout.trim()
    await runCli(["append", source, "--raw", "[1,2,3]"])
    const target = server.streamUrl()
    expect((await runCli(["fork", source, target, "--offset", start, "--sub-offset", "2"])).code).toBe(0)
    expect((await runCli(["read", target])).stdout).toBe("1\n2\n")
  })

  it("a missing source is NOT_FOUND naming the source (exit 2); another server is a usage error", async () => {
    const missing = await runCli(["fork", server.streamUrl("no-such-source"), server.streamUrl()])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/^durable-client: NOT_FOUND: .*no-such-source/)
    const elsewhere = await runCli(["fork", server.streamUrl(), "http://127.0.0.2:1/v1/stream/x"])
    expect(elsewhere.code).toBe(1)
    expect(elsewhere.stderr).toContain("same server")
  })
})

describe("where the stream comes from", () => {
  it("uses DURABLE_STREAM_URL when no URL is given; then a single argument is the data", async () => {
    const url = server.streamUrl()
    const env = { DURABLE_STREAM_URL: url }
    expect((await runCli(["create", "--content-type", "text/plain"], { env })).code).toBe(0)
    expect((await runCli(["append", "from env\n"], { env })).code).toBe(0)
    expect((await runCli(["read"], { env })).stdout).toBe("from env\n")
    expect((await runCli(["head"], { env })).stdout).toContain(`url: ${url}`)
  })

  it("resolves stream names against DURABLE_STREAM_BASE_URL or --base-url", async () => {
    const name = `named-${Date.now()}`
    const env = { DURABLE_STREAM_BASE_URL: `${server.url}/v1/stream` }
    expect((await runCli(["create", name, "--content-type", "text/plain", "x"], { env })).code).toBe(0)
    expect((await runCli(["read", name], { env })).stdout).toBe("x")
    expect((await runCli(["read", name, "--base-url", `${server.url}/v1/stream/`])).stdout).toBe("x")
    const fork = await runCli(["fork", name, `${name}-fork`], { env })
    expect(fork.code).toBe(0)
    expect((await runCli(["read", server.streamUrl(`${name}-fork`)])).stdout).toBe("x")
  })

  it("a name without a base URL, or no stream at all, is a usage error", async () => {
    const name = await runCli(["read", "chat"])
    expect(name.code).toBe(1)
    expect(name.stderr).toContain("DURABLE_STREAM_BASE_URL")
    const none = await runCli(["head"])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain("DURABLE_STREAM_URL")
    expect((await runCli(["read", "a/../b"], { env: { DURABLE_STREAM_BASE_URL: server.url } })).code).toBe(1)
    expect((await runCli(["read", "ftp://example.com/s"])).code).toBe(1)
  })
})

describe("headers and tokens", () => {
  let seen: Array<Record<string, string>> = []
  const recordingFetch = (input: string, init: RequestInit) => {
    seen.push(Object.fromEntries(new Headers(init.headers).entries()))
    return fetch(input, init)
  }
  beforeAll(() => {
    seen = []
  })
  afterAll(() => {
    seen = []
  })

  it("sends --header, --token, DURABLE_STREAM_TOKEN and DURABLE_STREAM_HEADERS, flags winning", async () => {
    const url = server.streamUrl()
    const env = { DURABLE_STREAM_TOKEN: "env-token-1234", DURABLE_STREAM_HEADERS: "X-Team: blue\nX-Trace: env" }
    await runCli(["create", url, "-H", "X-Trace: flag"], { env, fetch: recordingFetch })
    expect(seen.at(-1)).toMatchObject({ authorization: "Bearer env-token-1234", "x-team": "blue", "x-trace": "flag" })
    await runCli(["head", url, "--token", "flag-token-5678"], { env, fetch: recordingFetch })
    expect(seen.at(-1)).toMatchObject({ authorization: "Bearer flag-token-5678" })
  })

  it("a header that is not 'Name: value' is a usage error that does not print it", async () => {
    const result = await runCli(["head", server.streamUrl(), "-H", "Bearer secret-value-1234"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("--header #1 is not in the form")
    expect(result.stderr).not.toContain("secret-value-1234")
  })
})

describe("failures", () => {
  it("a 401 exits 3, and a token the server echoes back is never printed", async () => {
    const { createServer } = await import("node:http")
    const echo = createServer((req, res) => {
      res.writeHead(401, { "content-type": "text/plain" }).end(`bad credentials: ${req.headers.authorization} for ${req.url}`)
    })
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve))
    const port = (echo.address() as { port: number }).port
    try {
      const token = "very-secret-token-42"
      const result = await runCli(["head", `http://127.0.0.1:${port}/s?sig=signed-query-secret`, "--retries", "0"], {
        env: { DURABLE_STREAM_TOKEN: token },
      })
      expect(result.code).toBe(3)
      expect(result.stderrLines).toHaveLength(1)
      expect(result.stderr).toMatch(/^durable-client: UNAUTHORIZED: /)
      expect(result.stderr).not.toContain(token)
      expect(result.stderr).not.toContain("signed-query-secret")
      const read = await runCli(["read", `http://127.0.0.1:${port}/s`, "--retries", "0", "-H", `Authorization: Bearer ${token}`])
      expect(read.code).toBe(3)
      expect(read.stderr).not.toContain(token)
    } finally {
      await new Promise((resolve) => echo.close(resolve))
    }
  })

  it("an unreachable server exits 4 with NETWORK, reporting the attempts as progress", async () => {
    const { createServer } = await import("node:net")
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
    const port = (probe.address() as { port: number }).port
    await new Promise((resolve) => probe.close(resolve))
    const result = await runCli(["head", `http://127.0.0.1:${port}/v1/stream/x`, "--retries", "1"])
    expect(result.code).toBe(4)
    expect(result.stderr).toContain("network error")
    expect(result.stderrLines.at(-1)).toMatch(/^durable-client: NETWORK: /)
  })

  it("usage mistakes exit 1 with one line and a pointer to --help", async () => {
    for (const argv of [["bogus"], ["read", "--wat"], ["create", "--ttl", "soon"], ["read", "--sse", "--long-poll", "http://x/s"], ["append", "http://x/s", "a", "b"]]) {
      const result = await runCli(argv)
      expect(result.code, argv.join(" ")).toBe(1)
      expect(result.stderrLines[0]).toMatch(/^durable-client: USAGE: /)
      expect(result.stderrLines[1]).toMatch(/--help$/)
    }
    expect((await runCli([])).code).toBe(1)
  })

  it("--ttl with --expires-at is refused before any request", async () => {
    const result = await runCli(["create", server.streamUrl(), "--ttl", "5", "--expires-at", "2099-01-01T00:00:00Z"])
    expect(result.code).toBe(1)
  })

  it("--help and --version exit 0", async () => {
    const help = await runCli(["--help"])
    expect(help.code).toBe(0)
    for (const command of ["create", "append", "read", "tail", "head", "close", "delete", "fork", "inspect"]) {
      expect(help.stdout).toContain(`  ${command}`)
      const own = await runCli([command, "--help"])
      expect(own.code).toBe(0)
      expect(own.stdout).toContain(`usage: durable-client ${command}`)
    }
    expect((await runCli(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })
})
