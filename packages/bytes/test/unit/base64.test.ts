import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { decodeBase64, encodeBase64 } from "../../src/base64"

describe("decodeBase64", () => {
  it("decodes padded RFC 4648 input to the exact bytes", () => {
    expect(decodeBase64("")).toEqual(new Uint8Array(0))
    expect(decodeBase64("AA==")).toEqual(Uint8Array.of(0))
    expect(decodeBase64("AAE=")).toEqual(Uint8Array.of(0, 1))
    expect(decodeBase64("AAEC")).toEqual(Uint8Array.of(0, 1, 2))
    expect(decodeBase64("/+8=")).toEqual(Uint8Array.of(0xff, 0xef))
    expect(decodeBase64("aGVsbG8gd29ybGQ=")).toEqual(new TextEncoder().encode("hello world"))
  })

  it("ignores CR and LF (a payload split over several data lines)", () => {
    expect(decodeBase64("aGVs\nbG8g\r\nd29y\rbGQ=")).toEqual(new TextEncoder().encode("hello world"))
    expect(decodeBase64("\n")).toEqual(new Uint8Array(0))
  })

  it("rejects input outside the standard padded alphabet", () => {
    for (const bad of [
      "A", // length not a multiple of 4
      "AAA", // missing padding
      "AB=C", // padding in the middle
      "A===", // too much padding
      "AA==AA==", // padding before the end
      "-_8=", // URL-safe alphabet
      "AA A", // space is not a line break
      "AAé=", // non-ASCII
    ]) {
      expect(decodeBase64(bad), bad).toBeUndefined()
    }
  })

  it("round-trips any bytes through Node's encoder, with any line breaks inserted", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (data, breaks) => {
          let encoded = Buffer.from(data).toString("base64")
          for (const at of breaks) {
            const i = at % (encoded.length + 1)
            encoded = `${encoded.slice(0, i)}\n${encoded.slice(i)}`
          }
          expect(decodeBase64(encoded)).toEqual(data)
        }
      )
    )
  })
})

describe("encodeBase64", () => {
  it("round-trips any bytes and matches the platform's encoding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (bytes) => {
        const text = encodeBase64(bytes)
        expect(text).toBe(Buffer.from(bytes).toString("base64"))
        expect(decodeBase64(text)).toEqual(bytes)
      }),
      { numRuns: 50 }
    )
    expect(decodeBase64("abc")).toBeUndefined()
    expect(decodeBase64("ab!=")).toBeUndefined()
  })
})
