// The inspector in headless Chromium against the real reference server: a
// State Protocol stream shown as a live table, JSON messages with their
// offsets, the session's health, a reconnect after a failed live request,
// and a byte stream opened by name. Leaves test-artifacts/inspector.png.
import { mkdirSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { startInspector, type Inspector } from "@durable-client/cli"
import { DurableStream, JsonStream } from "@durable-client/state"
import {
  CHROMIUM_MISSING_MESSAGE,
  hasChromium,
  launchChromium,
  type Browser,
  type Page,
} from "@durable-client/testing/browser"
import { useReferenceServer } from "@durable-client/testing/vitest"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import type { InspectorDiagnostics } from "../../src/inspector/page/main"
import { bundleInspectorPage } from "../support/page-bundle"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)
const artifactsDir = fileURLToPath(new URL("../../test-artifacts/", import.meta.url))
const server = useReferenceServer()
const TOKEN = "inspector-browser-secret"

const change = (operation: "insert" | "update" | "delete", key: string, value?: Record<string, unknown>) => ({
  type: "user",
  key,
  ...(value ? { value } : {}),
  headers: { operation },
})
const diagnostics = (page: Page): Promise<InspectorDiagnostics> =>
  page.evaluate(() => (globalThis as unknown as { inspector: InspectorDiagnostics }).inspector)
const health = (page: Page, field: string) => page.locator(`[data-testid="health-${field}"]`)
const row = (page: Page, key: string) => page.locator(`[data-testid="state-row"][data-key="${key}"]`)

describe.skipIf(!chromium)("the inspector in Chromium", () => {
  let browser: Browser
  let pageScript: string
  let inspector: Inspector | undefined

  beforeAll(async () => {
    ;[browser, pageScript] = await Promise.all([launchChromium(), bundleInspectorPage()])
  })
  afterEach(async () => {
    await inspector?.stop()
    inspector = undefined
  })
  afterAll(async () => {
    await browser?.close()
  })

  /** Opens the page; `errors` collects uncaught exceptions and console errors (a failed request logs one). */
  async function openPage(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
    const errors: string[] = []
    page.on("pageerror", (error) => errors.push(String(error)))
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`console: ${message.text()}`)
    })
    await page.goto(url)
    return { page, errors }
  }

  it("tails a State Protocol stream live: rows, messages with offsets and health", async () => {
    const url = server.streamUrl()
    const stream = await JsonStream.create({ url })
    await stream.appendMany([change("insert", "ada", { name: "Ada Lovelace", role: "admin" }), change("insert", "grace", { name: "Grace Hopper", role: "user" })])
    await stream.append({ note: "a plain JSON message between the changes" })

    const upstream: Array<{ url: string; authorization: string | null }> = []
    inspector = await startInspector({
      url,
      headers: { Authorization: `Bearer ${TOKEN}` },
      pageScript,
      fetch: (input, init) => {
        upstream.push({ url: input, authorization: new Headers(init.headers).get("authorization") })
        return fetch(input, init)
      },
    })
    const { page, errors } = await openPage(inspector.url)

    await row(page, "grace").waitFor({ timeout: 10_000 })
    expect(await page.locator('[data-testid="state-table"][data-type="user"] caption').first().textContent()).toBe("user (2)")
    await expect.poll(() => health(page, "status").textContent(), { timeout: 10_000 }).toBe("live")
    await expect.poll(() => health(page, "transport").textContent(), { timeout: 10_000 }).toBe("sse")

    // Live: an update, an insert and a delete, in one batch and then another.
    await stream.appendMany([change("update", "ada", { name: "Ada King", role: "admin" }), change("insert", "linus", { name: "Linus", role: "user" })])
    await row(page, "linus").waitFor({ timeout: 5_000 })
    await expect.poll(() => row(page, "ada").textContent()).toContain("Ada King")
    const last = await stream.append(change("delete", "grace"))
    await row(page, "grace").waitFor({ state: "detached", timeout: 5_000 })

    // Every batch with its offset, newest first; the newest is the tail.
    const offsets = await page.locator('[data-testid="batch"]').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.offset))
    expect(offsets[0]).toBe(last.offset)
    expect(offsets.length).toBeGreaterThanOrEqual(3)
    expect([...offsets].reverse()).toEqual([...offsets].sort())
    await expect.poll(() => health(page, "offset").textContent()).toBe(last.offset)
    // Messages pretty-printed, plain JSON ones included.
    expect(await page.locator('[data-testid="message"]', { hasText: "a plain JSON message" }).textContent()).toContain('\n  "note": ')
    expect(await health(page, "messages").textContent()).toBe("6")
    expect(await health(page, "lag").textContent()).toMatch(/^caught up/)

    const state = await diagnostics(page)
    expect(state.rows).toEqual({ user: 2 })
    expect(state.health.reconnects).toBe(0)
    expect(state.errors).toEqual([])
    expect(errors).toEqual([])
    // The token went upstream with every read, and never reached the page.
    expect(upstream.length).toBeGreaterThan(2)
    expect(upstream.every((request) => request.authorization === `Bearer ${TOKEN}`)).toBe(true)
    expect(await page.content()).not.toContain(TOKEN)

    mkdirSync(artifactsDir, { recursive: true })
    await page.screenshot({ path: `${artifactsDir}inspector.png`, fullPage: true })
    await page.close()
  })

  it("opens a byte stream by name under a prefix, and counts a reconnect when a live request fails", async () => {
    const url = server.streamUrl()
    await DurableStream.create({ url, contentType: "text/plain", body: "first line\n" })
    let failedLive = 0
    const prefix = url.slice(0, url.lastIndexOf("/") + 1)
    inspector = await startInspector({
      url: prefix,
      pageScript,
      fetch: (input, init) => {
        // The first live request fails as if the server were briefly gone: the proxy answers 502.
        if (failedLive === 0 && /[?&]live=/.test(input)) {
          failedLive++
          return Promise.reject(new TypeError("fetch failed"))
        }
        return fetch(input, init)
      },
    })
    const { page, errors } = await openPage(inspector.url)
    expect(await page.locator('[data-testid="info"]').textContent()).toContain("Name a stream")
    await page.fill("#stream-name", url.slice(prefix.length))
    await page.click('button[type="submit"]')

    await page.locator('[data-testid="message"]', { hasText: "first line" }).waitFor({ timeout: 10_000 })
    await expect.poll(() => health(page, "status").textContent(), { timeout: 10_000 }).toBe("live")
    expect(failedLive).toBe(1)
    expect(Number(await health(page, "reconnects").textContent())).toBeGreaterThanOrEqual(1)
    await new DurableStream({ url, contentType: "text/plain" }).append("second line\n")
    await page.locator('[data-testid="message"]', { hasText: "second line" }).waitFor({ timeout: 5_000 })
    expect(new URL(page.url()).searchParams.get("stream")).toBe(url.slice(prefix.length))
    expect((await diagnostics(page)).errors).toEqual([])
    // Only the failed request the test caused; no exception.
    expect(errors).toEqual([expect.stringContaining("502 (Bad Gateway)")])
    await page.close()
  })

  it("shows a missing stream's error code on the page", async () => {
    inspector = await startInspector({ url: server.streamUrl("missing-stream"), pageScript })
    const { page } = await openPage(inspector.url)
    await expect.poll(() => page.locator('[data-testid="problem"]').textContent(), { timeout: 10_000 }).toMatch(/^NOT_FOUND: /)
    expect(await health(page, "status").textContent()).toBe("error")
    await page.close()
  })
})
