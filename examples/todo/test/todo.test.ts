// The todo app in headless Chromium, in two windows of one browser: edits in
// either show up in the other; an add shows at once, before its write has
// even reached the server; toggles travel both ways, deletes too.
import { existsSync, mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { JsonStream } from "@durable-client/collections"
import {
  CHROMIUM_MISSING_MESSAGE,
  hasChromium,
  launchChromium,
  type Browser,
  type BrowserContext,
  type Page,
} from "@durable-client/testing/browser"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { TodoDiagnostics } from "../src/app/App"
import { startTodoDemo, type TodoDemo } from "../src/demo.mjs"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)

// The app bundles the BUILT packages, exactly as a user's app would.
const builtReact = fileURLToPath(new URL("../../../packages/collections/dist/react.js", import.meta.url))
const artifactsDir = fileURLToPath(new URL("../test-artifacts/", import.meta.url))

const todo = (page: Page, text: string) => page.locator('[data-testid="todo"]', { hasText: text })
const summary = (page: Page) => page.locator('[data-testid="summary"]')
const diagnostics = (page: Page): Promise<TodoDiagnostics> =>
  page.evaluate(() => (globalThis as unknown as { todoApp: TodoDiagnostics }).todoApp)

async function add(page: Page, text: string): Promise<void> {
  await page.fill('[data-testid="new-todo"]', text)
  await page.press('[data-testid="new-todo"]', "Enter")
}

describe.skipIf(!chromium)("todo app in Chromium", () => {
  let demo: TodoDemo
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    if (!existsSync(builtReact)) {
      throw new Error(`${builtReact} is missing: run "pnpm build" (pnpm test does) before this test`)
    }
    ;[demo, browser] = await Promise.all([startTodoDemo({ port: 0 }), launchChromium()])
    // One browser profile, two windows: like a user with the app open twice.
    context = await browser.newContext({ viewport: { width: 640, height: 480 } })
  })

  afterAll(async () => {
    // Browser first: its open connections would otherwise hold the servers up.
    await browser?.close()
    await demo?.stop()
  })

  it("syncs adds, toggles and deletes between two windows, with optimistic adds shown at once", async () => {
    const errors: string[] = []
    const [a, b] = await Promise.all([context.newPage(), context.newPage()])
    for (const [name, page] of [["A", a], ["B", b]] as const) {
      page.on("pageerror", (error) => errors.push(`${name}: ${String(error)}`))
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`${name} console: ${message.text()} (${message.location().url})`)
      })
      await page.goto(demo.url)
      await summary(page).filter({ hasText: "0 left · 0 in all" }).waitFor({ timeout: 10_000 })
    }
    // The app and its stream live on different origins: the reads and writes are real CORS requests.
    expect(new URL(a.url()).origin).not.toBe(new URL(demo.streamServerUrl).origin)

    // Optimistic add: window A's writes are held at the network until we let them go.
    let release = (): void => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    let heldWrites = 0
    const streamRequests = `${demo.streamServerUrl}/**`
    await a.route(streamRequests, async (route) => {
      if (route.request().method() === "POST") {
        heldWrites++
        await gate
      }
      await route.continue()
    })
    const addedAt = performance.now()
    await add(a, "Buy milk")
    await todo(a, "Buy milk").waitFor({ timeout: 2_000 })
    const shownAfterMs = performance.now() - addedAt
    // On screen in A while its write has not reached the server; marked as saving.
    await expect.poll(() => heldWrites, { timeout: 2_000 }).toBe(1)
    expect(await todo(a, "Buy milk").getAttribute("data-saving")).toBe("true")
    // ...and so not in B yet.
    await b.waitForTimeout(300)
    expect(await todo(b, "Buy milk").count()).toBe(0)
    release()
    // Waits for the held handler to pass its request on.
    await a.unrouteAll({ behavior: "wait" })
    // Let through: B gets it from the stream, and A's row is confirmed.
    await todo(b, "Buy milk").waitFor({ timeout: 5_000 })
    await todo(a, "Buy milk").and(a.locator('[data-saving="false"]')).waitFor({ timeout: 5_000 })

    // Toggle in B shows in A.
    await todo(b, "Buy milk").getByRole("checkbox").click()
    await todo(a, "Buy milk").and(a.locator('[data-done="true"]')).waitFor({ timeout: 5_000 })
    expect(await todo(a, "Buy milk").getByRole("checkbox").isChecked()).toBe(true)

    // A second add, from A, shows in B.
    await add(a, "Write the browser tests")
    await todo(b, "Write the browser tests").waitFor({ timeout: 5_000 })
    await add(b, "Ship it")
    await todo(a, "Ship it").waitFor({ timeout: 5_000 })

    // Delete in B: gone in both.
    await todo(b, "Buy milk").getByRole("button", { name: "Delete Buy milk" }).click()
    await todo(a, "Buy milk").waitFor({ state: "detached", timeout: 5_000 })
    expect(await todo(b, "Buy milk").count()).toBe(0)

    // And a toggle the other way, A to B.
    await todo(a, "Write the browser tests").getByRole("checkbox").click()
    await todo(b, "Write the browser tests").and(b.locator('[data-done="true"]')).waitFor({ timeout: 5_000 })

    for (const page of [a, b]) {
      await summary(page).filter({ hasText: "1 left · 2 in all" }).waitFor({ timeout: 5_000 })
      expect(await page.locator('[data-testid="todo"] .text').allTextContents()).toEqual([
        "Write the browser tests",
        "Ship it",
      ])
      const state = await diagnostics(page)
      expect(state.errors).toEqual([])
      expect(state.inFlight).toBe(0)
    }
    expect(errors).toEqual([])

    mkdirSync(artifactsDir, { recursive: true })
    const screenshot = `${artifactsDir}todo.png`
    await a.screenshot({ path: screenshot })

    // The stream holds the State Protocol history of it all, one change per action.
    const messages = await new JsonStream<{ type: string; key: string; value?: { text: string; done: boolean }; headers: { operation: string } }>({
      url: demo.streamUrl,
    })
      .read()
      .json()
    expect(messages.map((message) => [message.headers.operation, message.value?.text ?? message.key])).toEqual([
      ["insert", "Buy milk"],
      ["update", "Buy milk"],
      ["insert", "Write the browser tests"],
      ["insert", "Ship it"],
      ["delete", messages[0]!.key],
      ["update", "Write the browser tests"],
    ])
    expect(messages[1]!.value!.done).toBe(true)

    console.log(`todo: optimistic row shown ${shownAfterMs.toFixed(0)} ms after Enter, its write held at the network; screenshot: ${screenshot}`)
  })
})
