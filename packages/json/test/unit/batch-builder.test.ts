import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { BatchBuilder, encodeBody, jsonArrayElements, payloadsOf, wireSize, type Batch } from "../../src/batch-builder"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function builder(maxBatchBytes: number, maxBatchItems = Number.POSITIVE_INFINITY) {
  const sealed: Array<Batch<number>> = []
  const clock: string[] = []
  let tickets = 0
  const batches = new BatchBuilder<number>({ json: true, maxBatchBytes, maxBatchItems }, sealed, {
    startLinger: () => clock.push("start"),
    cancelLinger: () => clock.push("cancel"),
  })
  const add = (text: string) => batches.add(text, tickets++)
  return { batches, sealed, clock, add }
}

describe("wire sizes", () => {
  it("wireSize is a text's UTF-8 length plus its comma or bracket, short or long", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.integer({ min: 0, max: 3 }), (text, repeat) => {
        // Repeated past the scratch buffer a short text is measured in.
        const long = text.repeat(1 + repeat * 4000)
        expect(wireSize(long)).toBe(encoder.encode(long).length + 1)
      }),
      { numRuns: 40 }
    )
  })
})

describe("message texts found again in a sealed JSON body", () => {
  it("jsonArrayElements gives back exactly the texts the body was built from, for any JSON values", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 20 }), (values) => {
        const texts = values.map((value) => JSON.stringify(value))
        const elements = jsonArrayElements(encodeBody(texts, true)).map((element) => decoder.decode(element))
        expect(elements).toEqual(texts)
      })
    )
  })

  it("a sealed JSON batch lets its texts go, and payloadsOf finds them in the body", () => {
    const sealed: Array<Batch<number>> = []
    const batches = new BatchBuilder<number>({ json: true, maxBatchBytes: 1024, maxBatchItems: 3 }, sealed, {
      startLinger: () => undefined,
      cancelLinger: () => undefined,
    })
    const texts = ['{"a":"x,y]"}', '"\\\\"', "[1,[2]]"]
    texts.forEach((text, i) => batches.add(text, i))
    const [batch] = sealed
    expect(batch!.payloads).toEqual([])
    expect(payloadsOf(batch!)).toEqual(texts)
  })
})

describe("BatchBuilder", () => {
  it("no body exceeds maxBatchBytes unless it holds one larger message, and every message goes out once, in order", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 30 }), { maxLength: 40 }), fc.integer({ min: 3, max: 64 }), (texts, max) => {
        const { batches, sealed, add } = builder(max)
        const messages = texts.map((text) => JSON.stringify(text))
        for (const message of messages) add(message)
        batches.seal()
        const bodies = sealed.map((batch) => JSON.parse(decoder.decode(batch.body)) as string[])
        expect(bodies.flat()).toEqual(texts)
        for (const batch of sealed) {
          if (batch.tickets.length > 1) expect(batch.body!.length).toBeLessThanOrEqual(max)
          // The size counted against the limits is the body's, exactly.
          expect(batch.body!.length).toBe(batch.size + 1)
        }
      })
    )
  })

  it("writes long texts of multi-byte characters whole, past the room made for ASCII", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", minLength: 200, maxLength: 600 }), { minLength: 1, maxLength: 12 }), (texts) => {
        const { batches, sealed, add } = builder(4096)
        const messages = texts.map((text) => JSON.stringify(text.repeat(3)))
        for (const message of messages) add(message)
        batches.seal()
        expect(sealed.flatMap((batch) => JSON.parse(decoder.decode(batch.body)) as string[])).toEqual(texts.map((text) => text.repeat(3)))
        for (const batch of sealed) expect(batch.body!.length).toBe(batch.size + 1)
      }),
      { numRuns: 60 }
    )
  })

  it("a batch that fills up is sealed at once; the next message starts a new batch and a new linger", () => {
    const { sealed, clock, add } = builder(1024, 2)
    const first = add("1")
    expect(add("2")).toBe(first)
    expect(sealed).toEqual([first])
    const second = add("3")
    expect(second).not.toBe(first)
    expect(clock).toEqual(["start", "cancel", "start"])
  })

  it("the open batch has lingered only once its clock fired, until it is sealed", () => {
    const { batches, add } = builder(1024)
    add("1")
    expect(batches.lingered).toBe(false)
    batches.lingerElapsed()
    expect(batches.lingered).toBe(true)
    add("2")
    batches.seal()
    expect(batches.lingered).toBe(false)
  })
})
