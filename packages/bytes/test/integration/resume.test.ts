import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, type LiveMode } from "../../src/index"
import { delay, fromUtf8, seededRandom, utf8 } from "./support"

const ref = useReferenceServer()

const TOKENS = 200
const MODES: readonly LiveMode[] = [false, "long-poll", "sse", "auto"]

function token(index: number): string {
  return `<${String(index).padStart(4, "0")}>`
}

interface ResumeRun {
  received: string
  sessionsByMode: Map<string, number>
  timerCancels: number
}

/**
 * A writer appends numbered tokens while a reader keeps abandoning its
 * session (by leaving the loop after a few chunks, or by cancel() from a
 * timer while a request may be in flight) and starts a new one from the
 * saved `session.offset`, switching live mode each time. If any chunk were
 * dropped or replayed across a resume, the concatenation would differ.
 */
async function runResumeScenario(contentType: string, seed: number): Promise<ResumeRun> {
  const random = seededRandom(seed)
  const stream = await DurableStream.create({ url: ref.streamUrl(), contentType })
  const written = Array.from({ length: TOKENS }, (_, index) => token(index))
  let receivedBytes = 0
  let writtenBytes = 0

  const writer = async (): Promise<void> => {
    let next = 0
    while (next < written.length) {
      // Groups of 1..3 tokens, so a live response may carry several appends.
      const group = 1 + Math.floor(random() * 3)
      for (const piece of written.slice(next, next + group)) {
        await stream.append(piece)
        writtenBytes += piece.length
      }
      next += group
      // Mostly wait for the reader (so data arrives while it tails, and the
      // run yields many small chunks to cancel between); sometimes run ahead
      // so a resumed session must catch up on a backlog.
      if (random() < 0.7) {
        const target = writtenBytes
        const deadline = Date.now() + 5_000
        while (receivedBytes < target && Date.now() < deadline) await delay(1)
      }
    }
    await stream.close()
  }

  const reader = async (): Promise<ResumeRun> => {
    const parts: Uint8Array[] = []
    const sessionsByMode = new Map<string, number>()
    let offset = "-1"
    let timerCancels = 0
    for (let round = 0; ; round++) {
      if (round > 2_000) throw new Error(`seed ${seed}: reader did not reach EOF`)
      const live = MODES[round % MODES.length]!
      sessionsByMode.set(String(live), (sessionsByMode.get(String(live)) ?? 0) + 1)
      const session = stream.read({ offset, live })
      const chunkBudget = 1 + Math.floor(random() * 4)
      // A third of the sessions are also cancelled from outside after a
      // random moment, which may land while a request is in flight.
      const timer =
        random() < 0.33
          ? setTimeout(() => {
              timerCancels++
              void session.cancel()
            }, Math.floor(random() * 20))
          : undefined
      let taken = 0
      for await (const chunk of session) {
        parts.push(chunk.data)
        receivedBytes += chunk.data.length
        if (chunk.closed || ++taken >= chunkBudget) break
      }
      clearTimeout(timer)
      await session.cancel()
      expect(session.status).toBe("closed")
      if (session.closed) break
      offset = session.offset
    }
    const total = parts.reduce((sum, part) => sum + part.length, 0)
    const all = new Uint8Array(total)
    let position = 0
    for (const part of parts) {
      all.set(part, position)
      position += part.length
    }
    return { received: fromUtf8(all), sessionsByMode, timerCancels }
  }

  const [, run] = await Promise.all([writer(), reader()])
  return run
}

describe("cancel and resume from the saved offset", () => {
  it.each([
    { contentType: "text/plain", seed: 20_240_611 },
    // Binary: the SSE sessions decode base64 data events.
    { contentType: "application/octet-stream", seed: 77_003 },
  ])("delivers every byte exactly once on $contentType (seed $seed)", async ({ contentType, seed }) => {
    const run = await runResumeScenario(contentType, seed)
    const expected = Array.from({ length: TOKENS }, (_, index) => token(index)).join("")

    // Token by token first, so a failure names what was lost or repeated.
    const tokens = run.received.match(/<\d{4}>/g) ?? []
    const counts = new Map<string, number>()
    for (const seen of tokens) counts.set(seen, (counts.get(seen) ?? 0) + 1)
    const repeated = [...counts].filter(([, count]) => count > 1).map(([seen]) => seen)
    const missing = Array.from({ length: TOKENS }, (_, index) => token(index)).filter(
      (expectedToken) => !counts.has(expectedToken)
    )
    expect({ seed, repeated, missing }).toEqual({ seed, repeated: [], missing: [] })
    expect(run.received).toBe(expected)
    expect(utf8(run.received).length).toBe(utf8(expected).length)

    // The scenario only proves something if it really resumed many times in every mode.
    for (const live of MODES) expect(run.sessionsByMode.get(String(live)) ?? 0).toBeGreaterThan(5)
    expect(run.timerCancels).toBeGreaterThan(0)
  })
})
