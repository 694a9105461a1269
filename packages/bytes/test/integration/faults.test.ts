import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, type LiveMode, type RetryOptions } from "../../src/index"
import {
  allByteValues,
  concat,
  delay,
  expectSameBytes,
  fromUtf8,
  recordingFetch,
  utf8,
  waitFor,
  type Attempt,
} from "./support"

const ref = useReferenceServer()

const ALL_MODES: readonly LiveMode[] = [false, "long-poll", "sse", "auto"]
// Short backoff so retrying tests take milliseconds, not the default seconds.
const FAST_RETRY: RetryOptions = { initialDelayMs: 5, maxDelayMs: 20 }

/** A stream on the shared server whose every request is recorded. */
async function recordedStream(contentType: string): Promise<{ stream: DurableStream; attempts: Attempt[] }> {
  const { fetch, attempts } = recordingFetch()
  const stream = await DurableStream.create({ url: ref.streamUrl(), contentType, fetch, retry: FAST_RETRY })
  return { stream, attempts }
}

function getOutcomes(attempts: readonly Attempt[]): Array<number | "error"> {
  return attempts.filter((attempt) => attempt.method === "GET").map((attempt) => attempt.outcome)
}

describe("503 responses on reads", () => {
  it.each(ALL_MODES)("are retried until the live=%s read completes", async (live) => {
    const { stream, attempts } = await recordedStream("application/octet-stream")
    const data = concat([allByteValues(), utf8("after the byte values")])
    await stream.append(data)
    await stream.close()

    ref.injectFault(stream.url, { status: 503, count: 3, method: "GET" })
    expectSameBytes(await stream.read({ live }).bytes(), data)
    expect(getOutcomes(attempts).slice(0, 4)).toEqual([503, 503, 503, 200])
  })

  it("during a long-poll tail are retried and the tail carries on", async () => {
    const { stream, attempts } = await recordedStream("text/plain")
    await stream.append("before ")
    const session = stream.read({ live: "long-poll" })
    const reading = session.text()
    await waitFor(() => session.upToDate, "the reader to catch up")

    // Armed while a poll is already waiting, so it hits the next poll.
    ref.injectFault(stream.url, { status: 503, count: 2, method: "GET" })
    await stream.append("during ")
    await delay(20)
    await stream.append("after")
    await stream.close()

    expect(await reading).toBe("before during after")
    expect(getOutcomes(attempts).filter((outcome) => outcome === 503)).toHaveLength(2)
  })
})

describe("dropped connections on reads", () => {
  it.each(ALL_MODES)("are retried in live=%s mode without losing or repeating bytes", async (live) => {
    const { stream, attempts } = await recordedStream("application/octet-stream")
    const data = concat([allByteValues(), allByteValues().reverse()])
    await stream.append(data)
    await stream.close()

    ref.injectFault(stream.url, { dropConnection: true, count: 2, method: "GET" })
    expectSameBytes(await stream.read({ live }).bytes(), data)
    expect(getOutcomes(attempts).slice(0, 3)).toEqual(["error", "error", 200])
  })

  it("while tailing by long-poll are retried from the same offset", async () => {
    const { stream, attempts } = await recordedStream("text/plain")
    const session = stream.read({ live: "long-poll" })
    const reading = session.text()
    await waitFor(() => session.upToDate, "the reader to catch up")

    ref.injectFault(stream.url, { dropConnection: true, count: 1, method: "GET" })
    // The waiting poll answers with this append; the next poll is the one dropped.
    await stream.append("one ")
    await delay(20)
    await stream.append("two")
    await stream.close()

    expect(await reading).toBe("one two")
    expect(getOutcomes(attempts)).toContain("error")
  })
})

describe("truncated response bodies", () => {
  /**
   * The reference server's `truncateBodyBytes` sends a shorter body that is
   * still correctly framed (chunked encoding, with the full Stream-Next-Offset
   * header), so it looks exactly like a complete response. Offsets are
   * opaque, so no client can tell those bytes are missing: they are lost by
   * the server's doing. What the client must guarantee is the rest: no
   * crash, no re-read or duplicate of what it was given, and a session that
   * keeps tailing correctly from the server's offset.
   */
  it.each(["long-poll", "auto"] as const)(
    "in %s mode do not crash or duplicate, and later data arrives exactly once",
    async (live) => {
      const { stream } = await recordedStream("text/plain")
      const history = "0123456789".repeat(4)
      await stream.append(history)

      const keep = 10
      ref.injectFault(stream.url, { truncateBodyBytes: keep, count: 1, method: "GET" })
      const session = stream.read({ live })
      const chunks: string[] = []
      const reading = (async () => {
        for await (const chunk of session) chunks.push(fromUtf8(chunk.data))
      })()
      await waitFor(() => session.upToDate, "the reader to catch up")
      await delay(20)
      await stream.append("|later-1")
      await stream.append("|later-2")
      await stream.close()
      await reading

      expect(chunks[0]).toBe(history.slice(0, keep))
      expect(chunks.join("")).toBe(`${history.slice(0, keep)}|later-1|later-2`)
      expect(session.closed).toBe(true)
      // The offset it saved still resumes correctly: nothing after it.
      expect(await stream.read({ offset: session.offset }).text()).toBe("")
    }
  )
})
