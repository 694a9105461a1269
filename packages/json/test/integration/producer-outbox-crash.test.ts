/**
 * A writer process with a file-backed outbox is killed (SIGKILL) mid-flush
 * and started again with the same producer id and outbox file: the stream
 * holds each message exactly once, in order.
 */
import { fork, type ChildProcess } from "node:child_process"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { bundleForBrowser } from "@durable-client/testing/browser"
import { useReferenceServer } from "@durable-client/testing/vitest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { JsonStream } from "../../src/index"
import { expectExactSequence, indexesOf, type Numbered } from "./support"

const ref = useReferenceServer()
const CHILD = fileURLToPath(new URL("./outbox-child.mjs", import.meta.url))

type ChildMessage = { acked?: number; flushed?: boolean; keys?: number; error?: string }

let dir: string
let sdk: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "outbox-crash-"))
  // The SDK is isomorphic: one bundle of its sources runs in Node as it does in a page.
  sdk = join(dir, "sdk.mjs")
  await writeFile(sdk, await bundleForBrowser(fileURLToPath(new URL("./outbox-child-sdk.ts", import.meta.url))))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Starts a writer; `onMessage` sees what it reports; resolves with its exit once it is gone. */
function writer(args: Array<string | number>, onMessage: (message: ChildMessage, child: ChildProcess) => void) {
  const child = fork(CHILD, [sdk, ...args.map(String)], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
  child.on("message", (message) => onMessage(message as ChildMessage, child))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  )
  return { child, exited }
}

describe("a writer process killed mid-flush", () => {
  it("restarted with the same producer id and outbox file, leaves each message once, in order", async () => {
    const url = (await JsonStream.create({ url: ref.streamUrl() })).url
    const file = join(dir, "outbox.json")
    const COUNT = 1000
    const reports: ChildMessage[] = []

    // First life: killed as soon as it says 50 messages are acknowledged, the rest pending or on the wire.
    const first = writer([url, file, 0, COUNT, 50], (message, child) => {
      reports.push(message)
      if (message.acked) child.kill("SIGKILL")
    })
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" })
    expect(reports.some((report) => report.flushed)).toBe(false)
    const stream = new JsonStream<Numbered>({ url })
    const before = indexesOf(await stream.read().json())
    expect(before.length).toBeLessThan(COUNT)

    // Second life: appends the next messages; the outbox's go first.
    const second = writer([url, file, COUNT, COUNT + 100, 0], (message) => reports.push(message))
    expect(await second.exited).toEqual({ code: 0, signal: null })
    expect(reports.filter((report) => report.error)).toEqual([])
    // Only the head is left: the epoch and next seq a third life would go on from.
    expect(reports.at(-1)).toEqual({ flushed: true, keys: 1 })
    expectExactSequence(indexesOf(await stream.read().json()), COUNT + 100, "stored")
  })
})
