import { describe, expect, it } from "vitest"
import { advanceDelivery, GENERATION_START, planReconnect, type ChatDelivery } from "../../src/resume-plan"

const A = "http://streams.test/v1/stream/chat-1-a"
const B = "http://streams.test/v1/stream/chat-1-b"
const delivery = (state: ChatDelivery["state"], streamUrl = A, offset = "0000_0420"): ChatDelivery => ({ streamUrl, offset, state })

describe("planReconnect", () => {
  it("has nothing to resume for a chat with no record and nothing read", () => {
    expect(planReconnect(undefined, undefined)).toBeNull()
  })

  it("replays a recorded generation from its first chunk when this page read none of it (a reload, a second window)", () => {
    expect(planReconnect({ streamUrl: A }, undefined)).toEqual({ streamUrl: A, offset: GENERATION_START, replay: true })
  })

  it("reads on from the saved offset after a network disconnect, so only unseen chunks are sent", () => {
    expect(planReconnect({ streamUrl: A }, delivery("disconnected"))).toEqual({ streamUrl: A, offset: "0000_0420", replay: false })
  })

  it.each(["reading", "closed", "failed", "stopped"] as const)(
    "replays from the start after a read that ended %s (useChat starts that resume from an empty message)",
    (state) => {
      expect(planReconnect({ streamUrl: A }, delivery(state))).toEqual({ streamUrl: A, offset: "-1", replay: true })
    }
  )

  it("replays the recorded generation when the page's disconnected read was of an older one", () => {
    expect(planReconnect({ streamUrl: B }, delivery("disconnected", A))).toEqual({ streamUrl: B, offset: "-1", replay: true })
  })

  it("falls back to what this page read when the store lost the record", () => {
    expect(planReconnect(undefined, delivery("disconnected"))).toEqual({ streamUrl: A, offset: "0000_0420", replay: false })
  })

  it.each([null, "text", { streamUrl: "" }, { streamUrl: 42 }, { url: A }])("ignores a malformed record %j", (record) => {
    expect(planReconnect(record, undefined)).toBeNull()
  })
})

describe("advanceDelivery", () => {
  it("moves the offset past a delivered batch and keeps the state", () => {
    expect(advanceDelivery(delivery("reading", A, "-1"), { offset: "0000_0100", closed: false })).toEqual(
      delivery("reading", A, "0000_0100")
    )
  })

  it("marks the generation closed with the batch that closed its stream", () => {
    expect(advanceDelivery(delivery("reading"), { offset: "0000_0900", closed: true })).toEqual(delivery("closed", A, "0000_0900"))
  })

  it("never mutates the delivery it was given", () => {
    const before = delivery("reading")
    advanceDelivery(before, { offset: "0000_0999", closed: true })
    expect(before).toEqual(delivery("reading"))
  })
})
