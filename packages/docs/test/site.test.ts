// The docs site in headless Chromium: the home page (the guides' index) and
// one API page render, with their navigation, and no script errors. Builds
// the site first when it is missing. Leaves test-artifacts/docs-home.png and
// test-artifacts/docs-api.png.
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"
import { CHROMIUM_MISSING_MESSAGE, hasChromium, launchChromium, type Browser, type Page } from "@durable-client/testing/browser"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)
const docsDir = fileURLToPath(new URL("../", import.meta.url))
const siteDir = `${docsDir}site/`
const artifactsDir = `${docsDir}test-artifacts/`

describe.skipIf(!chromium)("the docs site in Chromium", () => {
  let browser: Browser

  beforeAll(async () => {
    if (!existsSync(`${siteDir}index.html`)) {
      const build = spawnSync("node", ["scripts/build.mjs"], { cwd: docsDir, encoding: "utf8" })
      if (build.status !== 0) throw new Error(`docs build failed:\n${build.stdout}\n${build.stderr}`)
    }
    mkdirSync(artifactsDir, { recursive: true })
    browser = await launchChromium()
  }, 120_000)
  afterAll(async () => {
    await browser?.close()
  })

  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    const errors: string[] = []
    page.on("pageerror", (error) => errors.push(String(error)))
    await page.goto(pathToFileURL(`${siteDir}${path}`).href)
    return { page, errors }
  }

  it("renders the home page with the guides", async () => {
    const { page, errors } = await open("index.html")
    await expect.poll(() => page.locator("h1").first().textContent()).toContain("durable-client")
    expect(await page.locator('a[href*="Error_codes"]').count()).toBeGreaterThan(0)
    expect(await page.locator('a[href*="_durable-client_bytes"]').count()).toBeGreaterThan(0)
    await page.screenshot({ path: `${artifactsDir}docs-home.png`, fullPage: true })
    expect(errors).toEqual([])
  })

  it("renders an API page with the doc comments", async () => {
    const { page, errors } = await open("classes/_durable-client_bytes.index.DurableStream.html")
    await expect.poll(() => page.locator("h1").first().textContent()).toContain("DurableStream")
    expect(await page.textContent("body")).toContain("A handle on one stream URL")
    await page.screenshot({ path: `${artifactsDir}docs-api.png`, fullPage: true })
    expect(errors).toEqual([])
  })
})
