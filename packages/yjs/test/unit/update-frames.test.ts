import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { encodeFrame, FrameDecoder, FrameError } from "../../src/index"
import { varintLength } from "../../src/update-frames"

describe("update frames", () => {
  it("decode back to the same updates however the bytes are cut into chunks", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (updates, cuts) => {
          const frames = updates.map(encodeFrame)
          const all = new Uint8Array(frames.reduce((sum, frame) => sum + frame.length, 0))
          let at = 0
          for (const frame of frames) {
            all.set(frame, at)
            at += frame.length
          }
          const points = [...new Set(cuts.map((cut) => cut % (all.length + 1)))].sort((a, b) => a - b)
          const decoder = new FrameDecoder()
          const decoded: Uint8Array[] = []
          let from = 0
          for (const point of [...points, all.length]) {
            decoded.push(...decoder.push(all.subarray(from, point)).map((update) => update.slice()))
            from = point
          }
          expect(decoded).toEqual(updates)
          expect(decoder.hasPartialFrame).toBe(false)
        }
      )
    )
  })

  it("uses a 1-byte length up to 127 bytes, 2 up to 16 383, 3 up to 2 MiB", () => {
    expect([1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152].map(varintLength)).toEqual([1, 1, 2, 2, 3, 3, 4])
    expect(encodeFrame(new Uint8Array(200)).length).toBe(202)
  })

  it("holds a cut frame until the rest arrives", () => {
    const frame = encodeFrame(new Uint8Array([1, 2, 3]))
    const decoder = new FrameDecoder()
    expect(decoder.push(frame.subarray(0, 2))).toEqual([])
    expect(decoder.hasPartialFrame).toBe(true)
    expect(decoder.push(frame.subarray(2))).toEqual([new Uint8Array([1, 2, 3])])
  })

  it("refuses bytes that are not frames", () => {
    expect(() => new FrameDecoder().push(new Uint8Array([0]))).toThrow(FrameError)
    expect(() => new FrameDecoder().push(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f]))).toThrow(/not a stream of Yjs frames/)
  })
})
