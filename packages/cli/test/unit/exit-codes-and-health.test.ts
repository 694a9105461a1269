import { describe, expect, it } from "vitest"
import { EXIT, exitCodeFor } from "../../src/exit-codes"
import { describeLag, INITIAL_HEALTH, nextHealth, type HealthEvent } from "../../src/inspector/page/health"

describe("exitCodeFor", () => {
  it("maps every documented SDK code to its class", () => {
    const classes: Record<number, string[]> = {
      [EXIT.USAGE]: ["USAGE", "INVALID_ARGUMENT"],
      [EXIT.STREAM]: ["NOT_FOUND", "GONE", "CONFLICT", "SEQUENCE_CONFLICT", "STREAM_CLOSED", "STALE_EPOCH", "INVALID_OFFSET", "BAD_REQUEST", "PAYLOAD_TOO_LARGE"],
      [EXIT.AUTH]: ["UNAUTHORIZED", "FORBIDDEN"],
      [EXIT.UNAVAILABLE]: ["NETWORK", "TIMEOUT", "RATE_LIMITED", "UNEXPECTED_STATUS", "REDIRECTED", "ABORTED"],
      [EXIT.DATA]: ["PARSE_ERROR", "VALIDATION", "PROTOCOL_VIOLATION"],
      [EXIT.INTERNAL]: ["CALLBACK_FAILED"],
    }
    for (const [exit, codes] of Object.entries(classes)) {
      for (const code of codes) expect(exitCodeFor(code), code).toBe(Number(exit))
    }
  })

  it("treats a code a newer SDK adds as a stream error", () => {
    expect(exitCodeFor("SOMETHING_NEW")).toBe(EXIT.STREAM)
  })
})

describe("nextHealth", () => {
  const run = (events: HealthEvent[]) => events.reduce(nextHealth, INITIAL_HEALTH)
  const batch = (over: Partial<Extract<HealthEvent, { type: "batch" }>> = {}): HealthEvent => ({
    type: "batch",
    offset: "1",
    upToDate: true,
    closed: false,
    messages: 1,
    bytes: 10,
    at: 1000,
    ...over,
  })

  it("counts a reconnect for each backoff and for each fall from live back to catching up", () => {
    const health = run([
      { type: "status", status: "catching-up", transport: undefined },
      { type: "status", status: "live", transport: "sse" },
      { type: "status", status: "backoff", transport: "sse" },
      { type: "status", status: "catching-up", transport: "sse" },
      { type: "status", status: "live", transport: "long-poll" },
      { type: "status", status: "catching-up", transport: "long-poll" },
    ])
    expect(health.reconnects).toBe(2)
    expect(health.transport).toBe("long-poll")
  })

  it("totals messages and bytes, and remembers when data last came and since when it is caught up", () => {
    const health = run([batch({ upToDate: false, at: 100 }), batch({ at: 200 }), batch({ messages: 0, bytes: 0, at: 300, offset: "2" })])
    expect(health).toMatchObject({ messages: 2, bytes: 20, lastDataAt: 200, upToDateSince: 200, offset: "2", upToDate: true })
    expect(describeLag({ ...health, status: "live" }, 5200)).toBe("caught up 5 s ago")
    expect(describeLag({ ...health, upToDate: false, status: "catching-up" }, 0)).toBe("catching up")
  })

  it("keeps the error", () => {
    expect(run([{ type: "error", code: "NOT_FOUND", message: "gone" }])).toMatchObject({ status: "error", error: { code: "NOT_FOUND" } })
  })
})
