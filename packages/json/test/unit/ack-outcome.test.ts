import { describe, expect, it } from "vitest"
import { classifyAck, type AckFacts } from "../../src/ack-outcome"

const base: AckFacts = {
  status: 204,
  closeOnly: false,
  seq: 3,
  serverSeq: 3,
  highestSentSeq: 5,
  mayBeStored: false,
  storedInEpoch: true,
}

describe("classifyAck", () => {
  it("a 200 is stored", () => {
    expect(classifyAck({ ...base, status: 200 })).toBe("stored")
  })

  it("a 204 is our duplicate only when an earlier attempt of the tuple may have been stored", () => {
    expect(classifyAck({ ...base, mayBeStored: true })).toBe("duplicate")
    expect(classifyAck({ ...base, mayBeStored: false })).toBe("epoch-in-use")
  })

  it("a server seq beyond every seq this instance assigned is another instance's, resend or not", () => {
    expect(classifyAck({ ...base, serverSeq: 6, mayBeStored: true })).toBe("epoch-in-use")
    expect(classifyAck({ ...base, closeOnly: true, seq: 5, serverSeq: 6 })).toBe("epoch-in-use")
  })

  it("a close-only 204 echoing another seq is a duplicate against someone else's state", () => {
    expect(classifyAck({ ...base, closeOnly: true, seq: 3, serverSeq: 2 })).toBe("epoch-in-use")
  })

  it("a close-only 204 echoing our seq is our close once the epoch's state is known to be ours, else it is checked", () => {
    expect(classifyAck({ ...base, closeOnly: true, storedInEpoch: true })).toBe("stored")
    expect(classifyAck({ ...base, closeOnly: true, storedInEpoch: false })).toBe("verify-closed")
    expect(classifyAck({ ...base, closeOnly: true, storedInEpoch: false, serverSeq: undefined })).toBe("verify-closed")
  })
})
