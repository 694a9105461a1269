// The collaborative editor in headless Chromium, in two windows (two browser
// profiles, like two people): concurrent typing converges; a window whose
// network is cut keeps its edits and merges them when it is back; a reload
// restores the text from the window's checkpoint, with the network still cut.
import { existsSync, mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import {
  CHROMIUM_MISSING_MESSAGE,
  hasChromium,
  launchChromium,
  type Browser,
  type Page,
} from "@durable-client/testing/browser"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { CollabDiagnostics } from "../src/app/main"
import { startCollabDemo, type CollabDemo } from "../src/demo.mjs"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)

// The app bundles the BUILT package, exactly as a user's app would.
const builtYjs = fileURLToPath(new URL("../../../packages/yjs/dist/index.js", import.meta.url))
const artifactsDir = fileURLToPath(new URL("../test-artifacts/", import.meta.url))

const editor = (page: Page) => page.locator('[data-testid="editor"]')
const diagnostics = (page: Page): Promise<CollabDiagnostics> =>
  page.evaluate(() => ({ ...(globalThis as unknown as { collabApp: CollabDiagnostics }).collabApp }))

/** Waits inside the page until the app's diagnostics satisfy `test` (evaluated there on every animation frame). */
async function waitForApp(page: Page, test: string, arg?: unknown): Promise<void> {
  await page.waitForFunction(
    ([body, value]) => {
      // Undefined until the app's script has run (after a reload, say).
      const app = (globalThis as unknown as { collabApp?: unknown }).collabApp
      return app !== undefined && new Function("app", "arg", `return (${body})`)(app, value)
    },
    [test, arg] as const,
    { timeout: 15_000 }
  )
}

/** Both editors show the same text, containing every one of `parts`. */
async function waitForConvergence(pages: Page[], parts: string[]): Promise<string> {
  for (const page of pages) {
    await page.waitForFunction(
      (expected) => {
        const value = (document.querySelector('[data-testid="editor"]') as HTMLTextAreaElement).value
        return expected.every((part) => value.includes(part))
      },
      parts,
      { timeout: 15_000 }
    )
  }
  // Containing the same parts is not yet the same text: wait for equality too.
  const [first, ...rest] = pages
  await expect.poll(async () => new Set(await Promise.all(pages.map((page) => editor(page).inputValue()))).size, { timeout: 15_000 }).toBe(1)
  expect(rest.length).toBeGreaterThan(0)
  return editor(first!).inputValue()
}

describe.skipIf(!chromium)("collaborative editor in Chromium", () => {
  let demo: CollabDemo
  let browser: Browser
  let a: Page
  let b: Page
  const errors: string[] = []
  const streamRequests = () => `${demo.streamServerUrl}/**`

  beforeAll(async () => {
    if (!existsSync(builtYjs)) {
      throw new Error(`${builtYjs} is missing: run "pnpm build" (pnpm test does) before this test`)
    }
    ;[demo, browser] = await Promise.all([startCollabDemo({ port: 0 }), launchChromium()])
    const contexts = await Promise.all([0, 1].map(() => browser.newContext({ viewport: { width: 800, height: 600 } })))
    const pages = await Promise.all(contexts.map((context) => context.newPage()))
    a = pages[0]!
    b = pages[1]!
    for (const [name, page] of [["A", a], ["B", b]] as const) {
      page.on("pageerror", (error) => errors.push(`${name}: ${String(error)}`))
      page.on("console", (message) => {
        // Requests we cut on purpose are logged by Chromium as failed loads.
        if (message.type() === "error" && !/ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource/.test(message.text())) {
          errors.push(`${name} console: ${message.text()}`)
        }
      })
      await page.goto(demo.url)
      await waitForApp(page, 'app.status === "connected" && app.synced')
    }
  })

  afterAll(async () => {
    await browser?.close()
    await demo?.stop()
  })

  it("two windows typing at once converge, and each shows the other as present", async () => {
    expect(new URL(a.url()).origin).not.toBe(new URL(demo.streamServerUrl).origin)
    await Promise.all([editor(a).click(), editor(b).click()])
    await Promise.all([
      a.keyboard.type("Alpha types here. ", { delay: 15 }),
      b.keyboard.type("Bravo types there. ", { delay: 15 }),
    ])
    const text = await waitForConvergence([a, b], ["Alpha types here. ", "Bravo types there. "])
    expect(text.length).toBe("Alpha types here. ".length + "Bravo types there. ".length)
    for (const page of [a, b]) {
      await expect.poll(() => page.locator('[data-testid="peer"]').count(), { timeout: 10_000 }).toBe(2)
      await waitForApp(page, "app.pending === 0")
    }
    mkdirSync(artifactsDir, { recursive: true })
    await a.screenshot({ path: `${artifactsDir}collab-editor.png` })
  })

  it("a window that goes offline keeps its edits and merges them when it is back", async () => {
    await a.route(streamRequests(), (route) => route.abort("internetdisconnected"))
    await editor(a).click()
    await a.keyboard.press("Control+End")
    await a.keyboard.type(" [A offline]", { delay: 10 })
    // A's writes cannot leave: they wait, counted as unsaved.
    await waitForApp(a, "app.pending > 0")
    await editor(b).click()
    await b.keyboard.press("Control+End")
    await b.keyboard.type(" [B online]", { delay: 10 })
    await waitForApp(b, "app.pending === 0")
    expect(await editor(b).inputValue()).not.toContain("[A offline]")

    await a.unrouteAll({ behavior: "wait" })
    await waitForConvergence([a, b], ["[A offline]", "[B online]"])
    await waitForApp(a, "app.pending === 0")
  })

  it("a reload restores the text from the checkpoint, with the network still cut", async () => {
    const text = await editor(a).inputValue()
    await waitForApp(a, "app.checkpointedText === arg", text)
    await a.route(streamRequests(), (route) => route.abort("internetdisconnected"))
    await a.reload()
    await waitForApp(a, "app.restoredText === arg", text)
    expect(await editor(a).inputValue()).toBe(text)
    expect((await diagnostics(a)).status).not.toBe("connected")

    await a.unrouteAll({ behavior: "wait" })
    await waitForApp(a, 'app.status === "connected" && app.synced')
    await editor(a).click()
    await a.keyboard.press("Control+End")
    await a.keyboard.type(" after reload")
    await waitForConvergence([a, b], [text, " after reload"])
    expect(errors).toEqual([])
  })
})
