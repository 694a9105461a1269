// Proof that tabSharing() gives one live connection for all tabs of an
// origin, in real headless Chromium: three pages of one origin read the same
// stream live; the server sees a single live connection; every page gets
// every numbered message exactly once; closing the leader's page mid-stream
// loses nothing and one new live connection takes over.
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
  type BrowserContext,
  type Page,
  type StaticServer,
} from "@durable-client/testing/browser"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DurableStream } from "../../src/index"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)

interface TabState {
  tab: string
  received: number[]
  done: boolean
  error: string | undefined
  hasLocks: boolean
}

/** One live request as the server saw it. `tab` is the page that sent it. */
interface LiveRequest {
  tab: string
  mode: string
  openedAt: number
  closedAt: number | undefined
}

interface Watch {
  live: LiveRequest[]
  /** Plain (catch-up) GETs per tab. */
  catchUps: Map<string, number>
}

/**
 * Records every GET of a stream the reference server gets: live ones (`live=`
 * in the query) with when they opened and when their connection closed, and
 * a count of plain catch-up reads per tab. Listens beside the server's own
 * handler on its http.Server (a private field: if a future version renames
 * it, this fails loudly instead of counting nothing).
 */
function watchReads(reference: ReferenceServer): Watch {
  const http: unknown = Reflect.get(reference.server, "server")
  if (!(http instanceof Server)) throw new Error("cannot watch the reference server's requests: its http.Server moved")
  const watch: Watch = { live: [], catchUps: new Map() }
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== "GET") return
    const url = new URL(req.url ?? "/", "http://server")
    const tab = url.searchParams.get("tab") ?? ""
    const mode = url.searchParams.get("live")
    if (mode === null) {
      watch.catchUps.set(tab, (watch.catchUps.get(tab) ?? 0) + 1)
      return
    }
    const entry: LiveRequest = { tab, mode, openedAt: performance.now(), closedAt: undefined }
    watch.live.push(entry)
    res.on("close", () => (entry.closedAt = performance.now()))
  })
  return watch
}

const open = (log: readonly LiveRequest[]): LiveRequest[] => log.filter((entry) => entry.closedAt === undefined)

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const stateOf = (page: Page): Promise<TabState> =>
  page.evaluate(() => (globalThis as unknown as { tabState: TabState }).tabState)

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index)

describe.skipIf(!chromium)("tab sharing in Chromium", () => {
  let reference: ReferenceServer
  let site: StaticServer
  let browser: Browser
  let context: BrowserContext
  let watch: Watch
  let liveRequests: LiveRequest[]

  beforeAll(async () => {
    const script = await bundleForBrowser(fileURLToPath(new URL("./tab-sharing-page.ts", import.meta.url)))
    ;[reference, site, browser] = await Promise.all([
      startReferenceServer({ longPollTimeoutMs: 500 }),
      // Another port, so another origin than the stream server: CORS is real.
      serveStatic({
        "/index.html": `<!doctype html><meta charset="utf-8"><title>tab</title><script type="module" src="/page.js"></script>`,
        "/page.js": script,
      }),
      launchChromium(),
    ])
    watch = watchReads(reference)
    liveRequests = watch.live
    // One context: its pages are tabs of one browser profile, so they share
    // BroadcastChannel and Web Locks per origin.
    context = await browser.newContext()
  })

  afterAll(async () => {
    await browser?.close()
    await Promise.all([site?.close(), reference?.stop()])
  })

  it("keeps one live connection for three tabs, delivers every message exactly once, and survives losing the leader", async () => {
    const url = reference.streamUrl()
    const writer = await DurableStream.create({ url, contentType: "application/json" })
    const pages = await Promise.all(
      [1, 2, 3].map(async (tab) => {
        const page = await context.newPage()
        page.on("pageerror", (error) => console.error(`tab ${tab}:`, error))
        await page.goto(`${site.url}/index.html?stream=${encodeURIComponent(url)}&tab=${tab}`)
        return page
      })
    )
    // Web Locks is the path under test here; the heartbeat fallback has its own unit test.
    for (const page of pages) expect((await stateOf(page)).hasLocks).toBe(true)
    await until(() => open(liveRequests).length === 1, "the leader's live connection")

    const total = 120
    const leaderGoesAt = 50
    let leaderTab = ""
    let liveBeforeHandover: LiveRequest[] = []
    let leaderClosedAt = 0
    for (let n = 1; n <= total; n++) {
      await writer.append(`[${n}]`)
      if (n === leaderGoesAt) {
        // While the leader lives: exactly one live connection, ever, and still open.
        liveBeforeHandover = [...liveRequests]
        expect(liveBeforeHandover).toHaveLength(1)
        expect(open(liveBeforeHandover)).toHaveLength(1)
        leaderTab = liveBeforeHandover[0]!.tab
        // Mid-stream, with messages possibly still on their way to the followers.
        leaderClosedAt = performance.now()
        await pages[Number(leaderTab) - 1]!.close()
      }
      await new Promise((resolve) => setTimeout(resolve, 15))
    }
    await writer.close()

    const survivors = pages.filter((_, index) => String(index + 1) !== leaderTab)
    expect(survivors).toHaveLength(2)
    await until(
      async () => (await Promise.all(survivors.map(stateOf))).every((state) => state.done || state.error !== undefined),
      "both remaining tabs to read to the end of the stream"
    )
    for (const page of survivors) {
      const state = await stateOf(page)
      expect(state.error).toBeUndefined()
      // Every message exactly once, in order: nothing lost or repeated across the handover.
      expect(state.received).toEqual(range(1, total))
    }

    // The leader's connection ended with its tab; one new live connection took
    // over, from one of the remaining tabs, and it was the only one after that.
    const leaderRequest = liveBeforeHandover[0]!
    expect(leaderRequest.closedAt).toBeDefined()
    const successors = liveRequests.filter((entry) => entry !== leaderRequest)
    expect(successors.length).toBeGreaterThanOrEqual(1)
    // After the handover there is never more than one live connection at a time: a later
    // one (a reconnect, or the next leader once this one reached the end) opens only after
    // the previous one closed.
    for (let i = 1; i < successors.length; i++) {
      expect(successors[i]!.openedAt).toBeGreaterThanOrEqual(successors[i - 1]!.closedAt ?? Number.POSITIVE_INFINITY)
    }
    const successor = successors[0]!
    expect(successor.tab).not.toBe(leaderTab)
    expect(successor.mode).toBe("sse")
    expect(successor.openedAt).toBeGreaterThan(leaderClosedAt)
    // The stream was closed, so the successor's SSE response ended too.
    await until(() => successor.closedAt !== undefined, "the successor's connection to end")

    // Followers lived off the relays: a catch-up read when they started and
    // one per gap at most, not one per message (that would be polling).
    const followerTab = ["1", "2", "3"].find((tab) => tab !== leaderTab && tab !== successor.tab)!
    const followerReads = watch.catchUps.get(followerTab) ?? 0
    expect(followerReads).toBeGreaterThanOrEqual(1)
    expect(followerReads).toBeLessThan(10)
    console.log(
      `tab sharing: leader tab ${leaderTab} closed after message ${leaderGoesAt}; ` +
        `tab ${successor.tab} took over ${(successor.openedAt - leaderClosedAt).toFixed(0)} ms later; ` +
        `leader's connection seen closed ${(leaderRequest.closedAt! - leaderClosedAt).toFixed(0)} ms after; ` +
        `catch-up reads per tab ${JSON.stringify(Object.fromEntries(watch.catchUps))}`
    )
  })
})
