import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { createJsonSequence } from "../../src/json-sequence"

function split(text: string, cuts: number[] = []): string[] {
  const sequence = createJsonSequence()
  const values: string[] = []
  let at = 0
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    values.push(...sequence.push(text.slice(at, cut)))
    at = cut
  }
  values.push(...sequence.push(text.slice(at)), ...sequence.end())
  return values
}

describe("createJsonSequence", () => {
  it("splits JSON lines, concatenated values and pretty-printed documents", () => {
    expect(split('{"a":1}\n{"a":2}\n')).toEqual(['{"a":1}', '{"a":2}'])
    expect(split("[1] [2][3]")).toEqual(["[1]", "[2]", "[3]"])
    expect(split('{\n  "a": {\n    "b": [1, 2]\n  }\n}\n')).toEqual(['{\n  "a": {\n    "b": [1, 2]\n  }\n}'])
  })

  it("ends scalars at whitespace or the next value, and a last one at the end of input", () => {
    expect(split('1 true null "x" -2.5e3')).toEqual(["1", "true", "null", '"x"', "-2.5e3"])
    expect(split('3{"a":1}')).toEqual(["3", '{"a":1}'])
  })

  it("is not fooled by brackets, quotes and escapes inside strings", () => {
    expect(split('{"t":"} ] { [ \\" \\\\"}{"u":"\\\\"}')).toEqual(['{"t":"} ] { [ \\" \\\\"}', '{"u":"\\\\"}'])
    expect(split('"a \\" b" "c"')).toEqual(['"a \\" b"', '"c"'])
  })

  it("hands back an unfinished value at the end, for JSON.parse to reject", () => {
    expect(split('{"a":1}\n{"b":')).toEqual(['{"a":1}', '{"b":'])
  })

  it("yields a value as soon as it is complete, before the input ends", () => {
    const sequence = createJsonSequence()
    expect(sequence.push('{"a":')).toEqual([])
    expect(sequence.push('1}\n{"b"')).toEqual(['{"a":1}'])
    expect(sequence.push(":2}")).toEqual(['{"b":2}'])
    expect(sequence.end()).toEqual([])
  })

  it("finds the same values however the input is cut into pieces", () => {
    const value = fc.jsonValue({ maxDepth: 3 })
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 6 }),
        fc.array(fc.constantFrom(" ", "\n", "\r\n", "\t"), { minLength: 6, maxLength: 6 }),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        (values, separators, pretty, cutSeeds) => {
          const text = values.map((v, i) => JSON.stringify(v, null, pretty ? 2 : undefined) + separators[i]).join("")
          const cuts = cutSeeds.map((seed) => seed % (text.length + 1))
          expect(split(text, cuts).map((piece) => JSON.parse(piece))).toEqual(values.map((v) => JSON.parse(JSON.stringify(v))))
        }
      ),
      { numRuns: 300 }
    )
  })
})
