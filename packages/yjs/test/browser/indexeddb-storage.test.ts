// indexedDbStorage in real Chromium: save, load and clear; a checkpoint that
// outlives a reload; and a provider that reopens its document from it with
// the stream server unreachable.
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
import type { Checkpoint } from "../../src/index"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)

type PageApi = {
  save(key: string, checkpoint: Checkpoint): Promise<void>
  load(key: string): Promise<Checkpoint | undefined>
  clear(key: string): Promise<void>
  open(url: string, edit: string | undefined, expect: string): Promise<string>
}

describe.skipIf(!chromium)("indexedDbStorage in Chromium", () => {
  const server = useReferenceServer()
  let browser: Browser
  let pages: StaticServer
  let page: Page

  beforeAll(async () => {
    const script = await bundleForBrowser(fileURLToPath(new URL("./indexeddb-page.ts", import.meta.url)))
    ;[browser, pages] = await Promise.all([
      launchChromium(),
      serveStatic({ "/index.html": '<!doctype html><script type="module" src="/page.js"></script>', "/page.js": script }),
    ])
    page = await browser.newPage()
    await page.goto(pages.url)
    await page.waitForFunction(() => "idbTest" in globalThis)
  })

  afterAll(async () => {
    await browser?.close()
    await pages?.close()
  })

  const call = <K extends keyof PageApi>(name: K, ...args: Parameters<PageApi[K]>) =>
    page.evaluate(
      ([method, params]) => (globalThis as unknown as { idbTest: Record<string, (...a: unknown[]) => unknown> }).idbTest[method]!(...params),
      [name, args] as const
    ) as Promise<Awaited<ReturnType<PageApi[K]>>>

  it("saves, loads and clears checkpoints, which outlive a reload", async () => {
    const checkpoint: Checkpoint = { offset: "0000_0042", state: { version: 1, tables: { yjs: [["state", "AAEC"]] } } }
    expect(await call("load", "doc-a")).toBeUndefined()
    await call("save", "doc-a", checkpoint)
    await page.reload()
    await page.waitForFunction(() => "idbTest" in globalThis)
    expect(await call("load", "doc-a")).toEqual(checkpoint)
    await call("clear", "doc-a")
    expect(await call("load", "doc-a")).toBeUndefined()
  })

  it("a provider reopens its document from IndexedDB with the stream server unreachable", async () => {
    const url = server.streamUrl()
    expect(await call("open", url, "stored in IndexedDB", "")).toBe("stored in IndexedDB")
    await page.reload()
    await page.waitForFunction(() => "idbTest" in globalThis)
    await page.route(`${server.url}/**`, (route) => route.abort("internetdisconnected"))
    expect(await call("open", url, undefined, "stored in IndexedDB")).toBe("stored in IndexedDB")
    await page.unrouteAll({ behavior: "wait" })
  })
})
