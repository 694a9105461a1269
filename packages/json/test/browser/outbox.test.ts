// The durable outbox in real Chromium: a page writes a thousand messages, the network is cut
// mid-flush (POSTs to the stream server aborted) and the page is reloaded before the flush ends;
// after the reload, with the network back, a producer with the same id and outbox resends, and the
// stream holds each message exactly once, in order. With IndexedDB and with localStorage.
import { fileURLToPath } from "node:url"
import {
  CHROMIUM_MISSING_MESSAGE,
  bundleForBrowser,
  hasChromium,
  launchChromium,
  serveStatic,
  type Browser,
  type Page,
  type StaticServer,
} from "@durable-client/testing/browser"
import { useReferenceServer } from "@durable-client/testing/vitest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { JsonStream } from "../../src/index"
import { expectExactSequence, indexesOf, type Numbered } from "../integration/support"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)

type PageApi = {
  start(url: string, kind: string, from: number, to: number, ackedAt: number): Promise<void>
  more(from: number, to: number): Promise<void>
  resume(url: string, kind: string): Promise<number>
  keyValue(step: "write" | "read" | "clear"): Promise<unknown>
}

describe.skipIf(!chromium)("the durable outbox in Chromium", () => {
  const server = useReferenceServer()
  let browser: Browser
  let pages: StaticServer
  let page: Page

  beforeAll(async () => {
    const script = await bundleForBrowser(fileURLToPath(new URL("./outbox-page.ts", import.meta.url)))
    ;[browser, pages] = await Promise.all([
      launchChromium(),
      serveStatic({ "/index.html": '<!doctype html><script type="module" src="/page.js"></script>', "/page.js": script }),
    ])
    page = await browser.newPage()
    await load()
  })

  afterAll(async () => {
    await browser?.close()
    await pages?.close()
  })

  async function load(reload = false): Promise<void> {
    if (reload) await page.reload()
    else await page.goto(pages.url)
    await page.waitForFunction(() => "outboxTest" in globalThis)
  }

  const call = <K extends keyof PageApi>(name: K, ...args: Parameters<PageApi[K]>) =>
    page.evaluate(
      ([method, params]) => (globalThis as unknown as { outboxTest: Record<string, (...a: unknown[]) => unknown> }).outboxTest[method]!(...params),
      [name, args] as const
    ) as Promise<Awaited<ReturnType<PageApi[K]>>>

  it.each([["indexeddb"], ["localStorage"]])(
    "a page cut off mid-flush and reloaded resends, through %s, each message exactly once, in order",
    async (kind) => {
      const url = (await JsonStream.create({ url: server.streamUrl() })).url
      const COUNT = 1000
      await call("start", url, kind, 0, COUNT / 2, 99)
      // The network goes: every append from here on is refused before it reaches the server.
      let refused = 0
      await page.route(`${server.url}/**`, (route) => {
        if (route.request().method() !== "POST") return route.continue()
        refused++
        return route.abort("internetdisconnected")
      })
      await call("more", COUNT / 2, COUNT)
      const before = indexesOf(await new JsonStream<Numbered>({ url }).read().json())
      expect(before.length).toBeLessThan(COUNT)
      expect(before.length).toBeGreaterThanOrEqual(100)

      // Reloaded before the flush could end; then the network comes back.
      await load(true)
      await page.unrouteAll({ behavior: "wait" })
      expect(refused).toBeGreaterThan(0)
      expect(await call("resume", url, kind)).toBe(1)
      expectExactSequence(indexesOf(await new JsonStream<Numbered>({ url }).read().json()), COUNT, "stored")
    }
  )

  it("indexedDbKeyValue keeps string values across a reload, lists and removes them", async () => {
    const checkpoint = JSON.stringify({ offset: "0_42", state: { version: 1, tables: {} } })
    expect(await call("keyValue", "write")).toEqual({ a: checkpoint, b: "second", keys: ["a", "b"] })
    await load(true)
    expect(await call("keyValue", "read")).toEqual({ a: checkpoint, b: "second", keys: ["a", "b"] })
    expect(await call("keyValue", "clear")).toEqual({ a: null, b: "second", keys: ["b"] })
  })
})
