// The pure read-position rules, without any I/O: what a chunk is, when an
// answer is idle, and the two protocol violations.
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DEFAULTS } from "../../src/defaults"
import { isDurableStreamError } from "../../src/errors"
import { advance, startPosition, type Answer, type ReadPosition } from "../../src/read-position"

const url = "http://streams.test/v1/stream/position"
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)

function answer(fields: Partial<Answer> & { offset: string }): Answer {
  return { data: new Uint8Array(0), upToDate: false, closed: false, cursor: undefined, ...fields }
}

describe("advance", () => {
  it("moves to the answer's offset and hands out a chunk with its data and the last cursor", () => {
    const first = advance(startPosition("-1"), answer({ offset: "0003", data: bytes("abc"), cursor: "c1" }), url)
    expect(first.chunk).toEqual({ data: bytes("abc"), offset: "0003", upToDate: false, closed: false, cursor: "c1" })
    const second = advance(first.position, answer({ offset: "0005", data: bytes("de"), upToDate: true }), url)
    expect(second.chunk?.cursor).toBe("c1")
    expect(second.position).toMatchObject({ offset: "0005", cursor: "c1", upToDate: true, closed: false })
  })

  it("never changes the position it was given", () => {
    const position = startPosition("0001")
    const copy = { ...position }
    advance(position, answer({ offset: "0009", data: bytes("x"), upToDate: true, cursor: "c" }), url)
    expect(position).toEqual(copy)
  })

  it("hands out an empty chunk only when it is news: caught up, a moved offset, or the end", () => {
    const behind = startPosition("0004")
    expect(advance(behind, answer({ offset: "0004", upToDate: true }), url).chunk).toMatchObject({ upToDate: true })
    const current: ReadPosition = { ...behind, upToDate: true }
    expect(advance(current, answer({ offset: "0004", upToDate: true }), url).chunk).toBeUndefined()
    expect(advance(current, answer({ offset: "0006", upToDate: true }), url).chunk).toMatchObject({ offset: "0006" })
    expect(advance(current, answer({ offset: "0004", upToDate: true, closed: true }), url).chunk).toMatchObject({
      closed: true,
    })
  })

  it("fails with PROTOCOL_VIOLATION when the offset moves backwards, except from the sentinels", () => {
    expect(() => advance(startPosition("0005"), answer({ offset: "0004" }), url)).toThrowError(
      expect.objectContaining({ code: "PROTOCOL_VIOLATION" })
    )
    expect(advance(startPosition("now"), answer({ offset: "0001", upToDate: true }), url).position.offset).toBe("0001")
    expect(advance(startPosition("-1"), answer({ offset: "0000", upToDate: true }), url).position.offset).toBe("0000")
  })

  it("counts answers that tell nothing, resets on progress, and fails after too many in a row", () => {
    let position = startPosition("0002")
    for (let i = 1; i <= DEFAULTS.maxNoProgressResponses; i++) {
      const step = advance(position, answer({ offset: "0002" }), url)
      expect(step.idle).toBe(true)
      expect(step.chunk).toBeUndefined()
      position = step.position
      expect(position.idleAnswers).toBe(i)
    }
    const reset = advance(position, answer({ offset: "0002", upToDate: true }), url)
    expect(reset.idle).toBe(false)
    expect(reset.position.idleAnswers).toBe(0)
    let error: unknown
    try {
      advance(position, answer({ offset: "0002" }), url)
    } catch (caught) {
      error = caught
    }
    expect(isDurableStreamError(error) && error.code).toBe("PROTOCOL_VIOLATION")
  })

  it("does not count idle answers where the server paces itself (SSE)", () => {
    const step = advance(startPosition("0002"), answer({ offset: "0002" }), url, false)
    expect(step.idle).toBe(false)
    expect(step.position.idleAnswers).toBe(0)
  })

  it("keeps offsets non-decreasing and chunks consistent with the position for any accepted run of answers", () => {
    const offset = fc.integer({ min: 0, max: 50 }).map((n) => String(n).padStart(4, "0"))
    const arbitraryAnswer = fc.record({
      offset,
      data: fc.uint8Array({ maxLength: 3 }),
      upToDate: fc.boolean(),
      closed: fc.boolean(),
      cursor: fc.option(fc.constantFrom("a", "b"), { nil: undefined }),
    })
    fc.assert(
      fc.property(fc.array(arbitraryAnswer, { maxLength: 30 }), (answers) => {
        let position = startPosition("-1")
        for (const next of answers) {
          let step
          try {
            step = advance(position, next, url)
          } catch (error) {
            expect(isDurableStreamError(error) && error.code).toBe("PROTOCOL_VIOLATION")
            return
          }
          if (position.offset !== "-1") expect(step.position.offset >= position.offset).toBe(true)
          if (step.chunk) {
            expect(step.chunk.offset).toBe(step.position.offset)
            expect(step.chunk.cursor).toBe(step.position.cursor)
          }
          if (next.data.length > 0) expect(step.chunk?.data).toBe(next.data)
          position = step.position
        }
      })
    )
  })
})
