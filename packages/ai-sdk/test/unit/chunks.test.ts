import type { UIMessageChunk } from "ai"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { abortChunk, encodeSseChunk, encodeSseDone, errorChunk, prepareChunk, toUIMessageChunk } from "../../src/chunks"
import { isDurableStreamError } from "../../src"

const fresh = { messageId: "m-1", started: false }
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

describe("prepareChunk: what is stored for each chunk", () => {
  it("gives the first start chunk the generation's message id when it has none", () => {
    const { chunk, state } = prepareChunk({ type: "start" }, fresh)
    expect(chunk).toEqual({ type: "start", messageId: "m-1" })
    expect(state.started).toBe(true)
  })

  it("keeps a start chunk's own message id (a response that continues an existing message)", () => {
    expect(prepareChunk({ type: "start", messageId: "existing" }, fresh).chunk).toEqual({ type: "start", messageId: "existing" })
  })

  it("keeps message metadata next to the added id", () => {
    const { chunk } = prepareChunk({ type: "start", messageMetadata: { model: "m" } }, fresh)
    expect(chunk).toEqual({ type: "start", messageId: "m-1", messageMetadata: { model: "m" } })
  })

  it("leaves later start chunks and every other chunk untouched, and never mutates the input", () => {
    const first: UIMessageChunk = { type: "start" }
    const { state } = prepareChunk(first, fresh)
    expect(first).toEqual({ type: "start" })
    const later: UIMessageChunk = { type: "start" }
    expect(prepareChunk(later, state).chunk).toBe(later)
    const delta: UIMessageChunk = { type: "text-delta", id: "t", delta: "x" }
    expect(prepareChunk(delta, fresh).chunk).toBe(delta)
    expect(prepareChunk(delta, fresh).state).toBe(fresh)
  })

  it("maps any chunk sequence to the same sequence with only the first start named", () => {
    const chunkArb: fc.Arbitrary<UIMessageChunk> = fc.oneof(
      fc.constant<UIMessageChunk>({ type: "start" }),
      fc.string().map<UIMessageChunk>((messageId) => ({ type: "start", messageId })),
      fc.string().map<UIMessageChunk>((delta) => ({ type: "text-delta", id: "t", delta })),
      fc.constant<UIMessageChunk>({ type: "finish" })
    )
    fc.assert(
      fc.property(fc.array(chunkArb), (chunks) => {
        let state = fresh
        const stored = chunks.map((chunk) => {
          const prepared = prepareChunk(chunk, state)
          state = prepared.state
          return prepared.chunk
        })
        const firstStart = chunks.findIndex((chunk) => chunk.type === "start")
        stored.forEach((chunk, index) => {
          if (index !== firstStart) expect(chunk).toEqual(chunks[index])
          else expect(chunk).toEqual({ ...chunks[index], messageId: (chunks[index] as { messageId?: string }).messageId || "m-1" })
        })
      })
    )
  })
})

describe("terminal chunks", () => {
  it("are the AI SDK's error and abort chunks", () => {
    expect(errorChunk("boom")).toEqual({ type: "error", errorText: "boom" })
    expect(abortChunk()).toEqual({ type: "abort" })
    expect(abortChunk("user stopped")).toEqual({ type: "abort", reason: "user stopped" })
  })
})

describe("toUIMessageChunk: what is read back", () => {
  it("passes chunk-shaped values through as they were stored", () => {
    const value = { type: "data-weather", data: { city: "Oslo" } }
    expect(toUIMessageChunk(value, "http://s/x", "5")).toBe(value)
  })

  it.each([null, 42, "text", [], { kind: "start" }, { type: 7 }])(
    "rejects %j with PARSE_ERROR naming the stream and the offset",
    (value) => {
      let caught: unknown
      try {
        toUIMessageChunk(value, "http://s/x", "0000_0012")
      } catch (error) {
        caught = error
      }
      expect(isDurableStreamError(caught)).toBe(true)
      expect(caught).toMatchObject({ code: "PARSE_ERROR", url: "http://s/x", offset: "0000_0012" })
      expect(String((caught as Error).message)).toContain("http://s/x")
    }
  )
})

describe("SSE encoding of the response body", () => {
  it("writes one data event per chunk and [DONE] at the end, as the AI SDK's UI message stream does", () => {
    expect(decode(encodeSseChunk({ type: "text-delta", id: "t", delta: "a\nb" }))).toBe(
      'data: {"type":"text-delta","id":"t","delta":"a\\nb"}\n\n'
    )
    expect(decode(encodeSseDone())).toBe("data: [DONE]\n\n")
  })
})
