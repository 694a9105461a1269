import { afterEach, describe, expect, it, vi } from "vitest"
import { IdempotentProducer, JsonStream, isDurableStreamError, type DurableStreamError } from "../../src/index"
import { failure, streamUrl, useMswServer } from "./support/msw"
import { jsonProducer } from "./support/producer-setup"

const server = useMswServer()

afterEach(() => {
  vi.unstubAllGlobals()
})

/** Captures what the SDK reports as uncaught (reportError is how browsers, Deno and Bun receive it). */
function captureUncaught(): DurableStreamError[] {
  const reported: DurableStreamError[] = []
  vi.stubGlobal("reportError", (error: DurableStreamError) => reported.push(error))
  return reported
}

describe("a throwing onError", () => {
  // Without the isolation, flush() never settled: this test timed out.
  it("does not stop the producer settling: flush and the append reject with the original failure", { timeout: 5_000 }, async () => {
    const reported = captureUncaught()
    const bug = new Error("logger exploded")
    const { fake, producer } = jsonProducer(server, {
      retry: { maxRetries: 0 },
      onError: () => {
        throw bug
      },
    })
    fake.fault(() => ({ status: 503 }))
    const appended = producer.append("doomed")
    const flushError = await failure(producer.flush())
    expect(flushError.status).toBe(503)
    expect(await failure(appended)).toBe(flushError)
    expect(producer.error).toBe(flushError)
    // Reported, not swallowed: CALLBACK_FAILED naming the producer and the stream, with what it threw.
    expect(reported).toHaveLength(1)
    expect(reported[0]!.code).toBe("CALLBACK_FAILED")
    expect(reported[0]!.cause).toBe(bug)
    expect(reported[0]!.message).toContain("onError of producer writer")
    expect(reported[0]!.message).toContain(producer.url)
  })

  it("a later append still fails fast with the same failure", async () => {
    captureUncaught()
    const { fake, producer } = jsonProducer(server, {
      retry: { maxRetries: 0 },
      onError: () => {
        throw new Error("again")
      },
    })
    fake.fault(() => ({ status: 503 }))
    const first = await failure(producer.append("a"))
    expect(await failure(producer.append("b"))).toBe(first)
  })
})

describe("onError that is not a function", () => {
  it.each([["a string", "log"], ["an object", { handle: true }], ["null", null]])(
    "(%s) is INVALID_ARGUMENT at construction, before any request",
    (_name, onError) => {
      const fetch = vi.fn<typeof globalThis.fetch>()
      const stream = new JsonStream({ url: streamUrl("on-error"), fetch })
      let caught: unknown
      try {
        new IdempotentProducer(stream, "p", { onError: onError as never })
      } catch (error) {
        caught = error
      }
      expect(isDurableStreamError(caught)).toBe(true)
      expect((caught as DurableStreamError).code).toBe("INVALID_ARGUMENT")
      expect((caught as DurableStreamError).message).toContain("onError")
      expect((caught as DurableStreamError).message).toContain(stream.url)
      expect(fetch).not.toHaveBeenCalled()
    }
  )
})
