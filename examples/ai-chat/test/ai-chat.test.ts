// The AI chat demo in headless Chromium: send a message, reload the page in
// the middle of the answer, and check that the page ends with exactly the
// text the model wrote, in one assistant message, with the model called
// once; a second window on the same chat follows the same answer live.
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { JsonStream } from "@durable-client/json"
import {
  CHROMIUM_MISSING_MESSAGE,
  hasChromium,
  launchChromium,
  type Browser,
  type BrowserContext,
  type Page,
} from "@durable-client/testing/browser"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { AiChatDiagnostics } from "../src/app/App"
import { startAiChatDemo, type AiChatDemo } from "../src/demo.mjs"
import { answerFor, tokenize } from "../src/model.mjs"

const chromium = hasChromium()
if (!chromium) console.warn(CHROMIUM_MISSING_MESSAGE)

// The app bundles the BUILT package, exactly as a user's app would.
const builtPackage = fileURLToPath(new URL("../../../packages/ai-sdk/dist/index.js", import.meta.url))

const diagnostics = (page: Page): Promise<AiChatDiagnostics> =>
  page.evaluate(() => ({ ...(globalThis as unknown as { aiChat: AiChatDiagnostics }).aiChat }))

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe("the demo model", () => {
  it("answers deterministically, in small tokens that join back into the answer", () => {
    const text = answerFor("offsets — and café ✨")
    expect(answerFor("offsets — and café ✨")).toBe(text)
    expect(tokenize(text).join("")).toBe(text)
    expect(tokenize(text).length).toBeGreaterThan(100)
  })
})

describe.skipIf(!chromium)("AI chat demo in Chromium", () => {
  let demo: AiChatDemo
  let browser: Browser
  let context: BrowserContext

  beforeAll(async () => {
    if (!existsSync(builtPackage)) {
      throw new Error(`${builtPackage} is missing: run "pnpm build" (pnpm test does) before this test`)
    }
    // ~45 tokens at 40 ms: several seconds of answer, room to reload and open a second window.
    ;[demo, browser] = await Promise.all([startAiChatDemo({ port: 0, tokenIntervalMs: 40 }), launchChromium()])
    // One browser profile: the windows share localStorage, like a user's.
    context = await browser.newContext({ viewport: { width: 800, height: 700 } })
  })

  afterAll(async () => {
    // Browser first: its open connections would otherwise hold the servers up.
    await browser?.close()
    await demo?.stop()
  })

  it("survives a reload mid-answer without a second model call, and a second window follows it live", async () => {
    const errors: string[] = []
    const watch = (name: string, page: Page) => {
      page.on("pageerror", (error) => errors.push(`${name}: ${String(error)}`))
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`${name} console: ${message.text()}`)
      })
    }
    const chatUrl = `${demo.url}?chat=chromium-1`
    const a = await context.newPage()
    watch("A", a)
    await a.goto(chatUrl)
    await until(() => diagnostics(a), (state) => state.status === "ready", "the page to be ready")
    // The page and the streams are on different origins: the reads are real CORS requests.
    expect(new URL(a.url()).origin).not.toBe(new URL(demo.streamServerUrl).origin)

    const prompt = "Why does a reload not lose the answer?"
    await a.fill('[data-testid="input"]', prompt)
    await a.click('[data-testid="send"]')
    await until(() => Promise.resolve(demo.generations.length), (count) => count === 1, "the generation to start")
    const generation = demo.generations[0]!
    expect(generation.prompt).toBe(prompt)

    // Part of the answer on screen, not all of it.
    const before = await until(() => diagnostics(a), (state) => state.answer.length >= 60, "the first words of the answer")
    expect(generation.settled).toBe(false)
    expect(generation.text.startsWith(before.answer)).toBe(true)

    // Reload in the middle of the answer.
    await a.reload()
    const resumed = await until(() => diagnostics(a), (state) => state.answer.length > 0, "the reloaded page to show the answer")
    expect(resumed.roles).toEqual(["user", "assistant"])
    expect(generation.text.startsWith(resumed.answer)).toBe(true)

    // A second window on the same chat, opened while the answer is still being written.
    const b = await context.newPage()
    watch("B", b)
    await b.goto(chatUrl)
    const inB = await until(() => diagnostics(b), (state) => state.answer.length > 0, "the second window to show the answer")
    const stillWriting = !generation.settled
    expect(stillWriting).toBe(true)
    expect(inB.answer.length).toBeLessThan(generation.text.length)
    // Live: the second window's text grows while the model is still writing.
    await until(() => diagnostics(b), (state) => state.answer.length > inB.answer.length, "the second window to grow")

    await generation.done
    for (const [name, page] of [["A", a], ["B", b]] as const) {
      const final = await until(
        () => diagnostics(page),
        (state) => state.status === "ready" && state.answer === generation.text,
        `window ${name} to show the whole answer`
      )
      expect(final.roles, name).toEqual(["user", "assistant"])
      expect(final.assistantMessages, name).toBe(1)
      expect(final.error, name).toBeUndefined()
      expect(await page.locator('[data-testid="message-assistant"]').allTextContents(), name).toEqual([generation.text])
    }
    // The model was asked exactly once: the reload and the second window read the stream.
    expect(demo.modelCalls()).toBe(1)
    expect(demo.generations).toHaveLength(1)
    expect(errors).toEqual([])

    // The stream holds the answer once, in order, and is closed.
    const stored = await new JsonStream<{ type: string; delta?: string }>({ url: generation.streamUrl }).read().json()
    expect(stored.filter((chunk) => chunk.type === "text-delta").map((chunk) => chunk.delta)).toEqual(generation.tokens)
    expect((await new JsonStream({ url: generation.streamUrl }).head()).closed).toBe(true)

    console.log(
      `ai-chat: ${generation.tokens.length} tokens; reloaded after ${before.answer.length} characters, ` +
        `second window joined at ${inB.answer.length}; model calls: ${demo.modelCalls()}`
    )
    await Promise.all([a.close(), b.close()])
  })
})
