// A live read in real headless Chromium, with the SDK's default lifecycle
// sources, while its page is hidden and shown: the server sees the live
// connection end when the page is hidden and no request while it stays
// hidden; when the page is shown again the reader catches up from its
// offset with a plain GET and goes live again, losing and repeating nothing.
//
// Headless Chromium keeps every page visible (a minimized window, a
// background tab or a frozen lifecycle state all still report "visible"),
// so the test hides the page the only way it can: it overrides
// `document.visibilityState` in the page and fires the real
// `visibilitychange` event on the real document, as a browser does when a
// tab goes to the background.
import { Server, type IncomingMessage, type ServerResponse } from "node:http"
import { fileURLToPath } from "node:url"
import { startReferenceServer, type ReferenceServer } from "@durable-client/testing"
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
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DurableStream, type SessionHealth } from "../../src/index"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)

interface PageState {
  received: number[]
  offset: string
  health: SessionHealth | undefined
  done: boolean
  error: string | undefined
}

interface Read {
  live: string | null
  offset: string | null
  closed: boolean
}

/** Every GET the reference server gets (a private field: fails loudly if it moves), and when each connection ended. */
function watchReads(reference: ReferenceServer): Read[] {
  const http: unknown = Reflect.get(reference.server, "server")
  if (!(http instanceof Server)) throw new Error("cannot watch the reference server's requests: its http.Server moved")
  const reads: Read[] = []
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET") return
    const query = new URL(req.url ?? "/", "http://server").searchParams
    const read: Read = { live: query.get("live"), offset: query.get("offset"), closed: false }
    reads.push(read)
    res.on("close", () => (read.closed = true))
  })
  return reads
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const stateOf = (page: Page): Promise<PageState> =>
  page.evaluate(() => (globalThis as unknown as { pageState: PageState }).pageState)

/** What the browser does when the tab goes to the background or comes back. */
function setVisibility(page: Page, visibility: "hidden" | "visible"): Promise<void> {
  return page.evaluate((value) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => value })
    Object.defineProperty(document, "hidden", { configurable: true, get: () => value === "hidden" })
    document.dispatchEvent(new Event("visibilitychange"))
  }, visibility)
}

describe.skipIf(!chromium)("page visibility in Chromium", () => {
  let reference: ReferenceServer
  let site: StaticServer
  let browser: Browser
  let reads: Read[]

  beforeAll(async () => {
    const script = await bundleForBrowser(fileURLToPath(new URL("./visibility-page.ts", import.meta.url)))
    ;[reference, site, browser] = await Promise.all([
      startReferenceServer({ longPollTimeoutMs: 500 }),
      // Another port, so another origin than the stream server: CORS is real.
      serveStatic({
        "/index.html": `<!doctype html><meta charset="utf-8"><title>reader</title><script type="module" src="/page.js"></script>`,
        "/page.js": script,
      }),
      launchChromium(),
    ])
    reads = watchReads(reference)
  })

  afterAll(async () => {
    await browser?.close()
    await Promise.all([site?.close(), reference?.stop()])
  })

  it("ends the live connection while the page is hidden and resumes from the offset when it is shown", async () => {
    const url = reference.streamUrl()
    const writer = await DurableStream.create({ url, contentType: "application/json" })
    await writer.append("[1]")
    const page = await browser.newPage()
    page.on("pageerror", (error) => console.error("page:", error))
    await page.goto(`${site.url}/index.html?stream=${encodeURIComponent(url)}`)

    const live = (): Read[] => reads.filter((read) => read.live === "sse" && !read.closed)
    await until(async () => (await stateOf(page)).received.length === 1 && live().length === 1, "the reader to go live")
    const sse = live()[0]!

    await setVisibility(page, "hidden")
    await until(() => sse.closed, "the server to see the SSE connection end")
    await until(async () => (await stateOf(page)).health?.status === "paused", "the session to pause")
    expect((await stateOf(page)).health?.paused).toBe("hidden")
    const asked = reads.length
    await writer.append("[2]")
    await writer.append("[3]")
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(reads).toHaveLength(asked) // nothing at all while hidden
    const offsetWhenHidden = (await stateOf(page)).offset

    await setVisibility(page, "visible")
    await until(async () => (await stateOf(page)).received.length === 3, "the messages written while hidden")
    // A plain catch-up GET from where it stood, then SSE again.
    expect(reads[asked]).toMatchObject({ live: null, offset: offsetWhenHidden })
    await until(() => live().length === 1, "a new SSE connection")
    await writer.append("[4]")
    await writer.close()
    await until(async () => (await stateOf(page)).done, "the end of the stream")
    const state = await stateOf(page)
    expect(state.error).toBeUndefined()
    expect(state.received).toEqual([1, 2, 3, 4])
    expect(state.health).toMatchObject({ status: "closed", paused: undefined })
    expect(state.health!.reconnects).toBeGreaterThanOrEqual(1)
    await page.close()
  })
})
