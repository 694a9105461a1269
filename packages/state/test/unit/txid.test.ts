import { afterEach, describe, expect, it, vi } from "vitest"
import { createTxid } from "../../src/index"

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe("createTxid", () => {
  it("uses crypto.randomUUID when it exists", () => {
    const randomUUID = vi.fn(() => "11111111-2222-4333-8444-555555555555")
    vi.stubGlobal("crypto", { randomUUID, getRandomValues: vi.fn() })
    expect(createTxid()).toBe("11111111-2222-4333-8444-555555555555")
    expect(randomUUID).toHaveBeenCalledTimes(1)
  })

  it("gives distinct non-empty ids with the real crypto", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => createTxid()))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id.length).toBeGreaterThan(0)
  })

  it("falls back to getRandomValues (16 bytes as 32 hex digits) without randomUUID", () => {
    const getRandomValues = vi.fn(<T extends ArrayBufferView | null>(array: T): T => {
      const bytes = array as unknown as Uint8Array
      for (let i = 0; i < bytes.length; i++) bytes[i] = i * 17
      return array
    })
    vi.stubGlobal("crypto", { getRandomValues })
    const id = createTxid()
    expect(getRandomValues).toHaveBeenCalledTimes(1)
    expect(getRandomValues.mock.calls[0]![0]).toBeInstanceOf(Uint8Array)
    expect(id).toBe(Array.from({ length: 16 }, (_, i) => (i * 17).toString(16).padStart(2, "0")).join(""))
  })

  it("falls back to Math.random when there is no crypto at all (React Native without a polyfill)", () => {
    vi.stubGlobal("crypto", undefined)
    const values = [0, 0.5, 0.999999, 0.25]
    let n = 0
    const random = vi.spyOn(Math, "random").mockImplementation(() => values[n++ % values.length]!)
    const id = createTxid()
    expect(random).toHaveBeenCalledTimes(16)
    expect(id).toBe("0080ff40".repeat(4))
  })

  it("still gives distinct ids from Math.random alone", () => {
    vi.stubGlobal("crypto", {})
    const ids = new Set(Array.from({ length: 1000 }, () => createTxid()))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/)
  })
})
