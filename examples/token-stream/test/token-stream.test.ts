// The token-stream demo in headless Chromium: generate an answer, let some
// tokens render, reload the page in the middle, and check that the page ends
// with exactly the text the model wrote: nothing lost, nothing doubled.
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { JsonStream } from "@durable-client/json"
import {
  CHROMIUM_MISSING_MESSAGE,
  hasChromium,
  launchChromium,
  type Browser,
  type Page,
} from "@durable-client/testing/browser"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { answerFor, tokenize } from "../src/llm.mjs"
import { startTokenStreamDemo, type TokenStreamDemo } from "../src/demo.mjs"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)

// The demo bundles the BUILT package, exactly as a user's app would.
const builtJson = fileURLToPath(new URL("../../../packages/json/dist/index.js", import.meta.url))

interface Diagnostics {
  saved: { offset: string; text: string; next: number; done: boolean } | undefined
  readsFrom: string[]
  batches: number
  problems: string[]
  error: string | undefined
  transport: string | undefined
}

const diagnostics = (page: Page): Promise<Diagnostics> =>
  page.evaluate(() => (globalThis as unknown as { tokenStream: Diagnostics }).tokenStream)

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe("tokenize", () => {
  it("splits an answer into small tokens that join back into it exactly", () => {
    const text = answerFor("offsets — and café ✨")
    const tokens = tokenize(text)
    expect(tokens.join("")).toBe(text)
    expect(tokens.length).toBeGreaterThan(100)
    expect(tokens.every((token) => token.trim().length <= 4)).toBe(true)
  })
})

describe.skipIf(!chromium)("token-stream demo in Chromium", () => {
  let demo: TokenStreamDemo
  let browser: Browser

  beforeAll(async () => {
    if (!existsSync(builtJson)) {
      throw new Error(`${builtJson} is missing: run "pnpm build" (pnpm test does) before this test`)
    }
    ;[demo, browser] = await Promise.all([startTokenStreamDemo({ port: 0, tokenIntervalMs: 12 }), launchChromium()])
  })

  afterAll(async () => {
    // Browser first: its open connections would otherwise hold the servers up.
    await browser?.close()
    await demo?.stop()
  })

  it("renders tokens live, resumes from the saved offset after a reload, and ends with the exact text", async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on("pageerror", (error) => errors.push(String(error)))
    await page.goto(demo.url)
    // Page and streams come from different origins: the reads are real CORS requests.
    expect(new URL(page.url()).origin).not.toBe(new URL(demo.streamServerUrl).origin)

    await page.fill("#prompt", "offsets — and café ✨")
    await page.click("#generate")
    await until(() => Promise.resolve(demo.generations.length), (count) => count === 1, "the generation to start")
    const generation = demo.generations[0]!

    // Some tokens on screen, not all of them yet.
    const before = await until(
      () => diagnostics(page),
      (state) => (state.saved?.next ?? 0) >= 30,
      "the first 30 tokens to render"
    )
    expect(before.saved!.done).toBe(false)
    const shown = await page.textContent("#answer")
    expect(generation.text.startsWith(shown ?? "<none>")).toBe(true)

    // Reload in the middle of the answer.
    await page.reload()
    const after = await until(() => diagnostics(page), (state) => state.readsFrom.length > 0, "the reloaded page to start reading")
    // The new page load read on from the saved offset, not from the start.
    expect(after.readsFrom).toHaveLength(1)
    expect(after.readsFrom[0]).not.toBe("-1")
    const resumedAt = after.readsFrom[0]!

    await generation.finished
    const final = await until(() => diagnostics(page), (state) => state.saved?.done === true, "the stream to be read to its close")
    expect(final.error).toBeUndefined()
    expect(final.problems).toEqual([])
    expect(final.saved!.next).toBe(generation.tokens.length)
    // The whole answer, exactly: nothing lost or doubled across the reload.
    expect(final.saved!.text).toBe(generation.text)
    expect(await page.textContent("#answer")).toBe(generation.text)
    expect(await page.textContent("#status")).toBe(`complete · ${generation.tokens.length} tokens`)
    expect(errors).toEqual([])

    // The stream itself holds every token once, in order, and is closed.
    const stored = await new JsonStream<{ i: number; t: string }>({ url: generation.streamUrl }).read().json()
    expect(stored.map((token) => token.i)).toEqual(generation.tokens.map((_, index) => index))
    expect(stored.map((token) => token.t).join("")).toBe(generation.text)
    const info = await new JsonStream({ url: generation.streamUrl }).head()
    expect(info.closed).toBe(true)

    console.log(
      `token-stream: ${generation.tokens.length} tokens; reloaded after ${before.saved!.next}, ` +
        `resumed at offset ${resumedAt}; ${final.batches} batches after the reload (${final.transport ?? "no live transport"})`
    )
    await page.close()
  })
})
