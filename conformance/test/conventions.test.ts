import { describe, expect, it } from "vitest"
import { chunkOf } from "../src/adapter-kit/chunk-data.ts"
import { HeaderNames } from "../src/adapter-kit/header-names.ts"
import { compare } from "../src/runner/cross-check.ts"
import { checkExpectation } from "../src/runner/expect.ts"
import { parseOptions } from "../src/runner/options.ts"
import type { CaseReport } from "../src/runner/run-suite.ts"

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values)

describe("read chunks in the public protocol's shape", () => {
  it("are text whenever the bytes are UTF-8, whatever the stream's content type", () => {
    expect(chunkOf(new TextEncoder().encode("Hello 世界 🌍"), "7")).toEqual({ data: "Hello 世界 🌍", offset: "7" })
    expect(chunkOf(bytes(0, 1, 2, 0x7f), undefined)).toEqual({ data: "\u0000\u0001\u0002\u007f" })
  })

  it("fall back to base64 with binary: true only for bytes that are not valid UTF-8", () => {
    expect(chunkOf(bytes(0x00, 0x00, 0x01, 0x9b, 0xf5, 0x8b, 0x65, 0x3b), "1")).toEqual({ data: "AAABm/WLZTs=", binary: true, offset: "1" })
    // A character cut in half by a chunk boundary is not valid on its own either.
    expect(chunkOf(bytes(0xe4, 0xb8), undefined)).toMatchObject({ binary: true })
  })

  it("keep a leading byte-order mark as data", () => {
    expect(chunkOf(bytes(0xef, 0xbb, 0xbf, 0x61), undefined).data).toBe("\ufeffa")
  })

  it("join back to the same bytes in the runner, text and base64 mixed", () => {
    const result = { success: true, chunks: [chunkOf(bytes(0x68, 0x69), undefined), chunkOf(bytes(0xff), undefined)] }
    expect(checkExpectation(result, { base64: "aGn/", byteLength: 3 })).toBeUndefined()
  })
})

describe("header names in headersSent", () => {
  it("are spelt as the case gave them, protocol names in their usual form, others capitalised", () => {
    const names = new HeaderNames()
    names.remember(["X-Request-ID", "authorization"])
    expect(names.spell("x-request-id")).toBe("X-Request-ID")
    expect(names.spell("authorization")).toBe("authorization")
    expect(names.spell("content-type")).toBe("Content-Type")
    expect(names.spell("stream-ttl")).toBe("Stream-TTL")
    expect(names.spell("x-other-thing")).toBe("X-Other-Thing")
  })
})

describe("the cross-check", () => {
  const report = (id: string, status: CaseReport["status"], reason?: string): CaseReport => ({
    id,
    suite: id.split("/")[0]!,
    name: id.split("/")[1]!,
    status,
    ms: 1,
    ...(reason === undefined ? {} : { reason }),
  })
  const expected = { client: "x 1.0", failures: { "a/known": "its retry is missing" } }

  it("counts a recorded failure that fails, and a pass that passes, as recorded", () => {
    const check = compare([report("a/known", "fail", "boom"), report("a/fine", "pass"), report("a/skipped", "skip")], expected)
    expect(check).toEqual({ asRecorded: 2, knownFailures: 1, skipped: 1, differ: [] })
  })

  it("reports both directions of a difference", () => {
    const check = compare([report("a/known", "pass"), report("a/fine", "fail", "new bug")], expected)
    expect(check.differ).toEqual([
      { id: "a/known", expected: "fail", actual: "pass" },
      { id: "a/fine", expected: "pass", actual: "fail", reason: "new bug" },
    ])
  })
})

describe("command line", () => {
  it("runs the cross-check only for the bundled adapter", () => {
    expect(parseOptions(["--cross-check"])).toMatchObject({ crossCheck: true, adapter: undefined })
    expect(parseOptions(["--cross-check", "--adapter", "/abs/adapter"])).toMatchObject({ crossCheck: false, adapter: "/abs/adapter" })
  })

  it("takes the public harness's --run and passes arguments after -- to the adapter", () => {
    expect(parseOptions(["--run", "/abs/adapter.py", "--suite", "catch-up"])).toMatchObject({ adapter: "/abs/adapter.py", adapterArgs: [], suites: ["catch-up"] })
    expect(parseOptions(["--adapter", "python3", "--", "adapter.py", "--flag"])).toMatchObject({ adapter: "python3", adapterArgs: ["adapter.py", "--flag"] })
    expect(() => parseOptions(["--adapter", "/a", "--run", "/b"])).toThrow(/not both/)
  })

  it("refuses an unknown format and writes results beside the process by default", () => {
    expect(() => parseOptions(["--format", "xml"])).toThrow(/--format/)
    const options = parseOptions([])
    expect(options !== "help" && options.results.endsWith("conformance-results.json")).toBe(true)
  })
})
