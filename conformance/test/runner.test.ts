import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { impliedFeatures, loadCases } from "../src/runner/cases.ts"
import { checkExpectation, match } from "../src/runner/expect.ts"
import { substitute } from "../src/runner/template.ts"

function casesFrom(yaml: string) {
  const root = mkdtempSync(join(tmpdir(), "conformance-cases-"))
  mkdirSync(join(root, "suite"))
  writeFileSync(join(root, "suite", "cases.yaml"), yaml)
  return loadCases(root)
}

describe("template substitution", () => {
  const vars = new Map<string, unknown>([
    ["stream", "/v1/stream/s"],
    ["result", { offset: "0_5", list: [{ n: 1 }] }],
    ["flag", false],
  ])

  it("keeps the value's type when a string is exactly one placeholder", () => {
    expect(substitute("${flag}", vars)).toBe(false)
    expect(substitute("${result.list}", vars)).toEqual([{ n: 1 }])
  })

  it("interpolates inside longer strings, following dotted paths", () => {
    expect(substitute("${stream}-fork at ${result.offset}", vars)).toBe("/v1/stream/s-fork at 0_5")
  })

  it("runs generators, nested ones included", () => {
    expect(substitute("${repeat('ab', 3)}", vars)).toBe("ababab")
    expect(substitute("${bytes(0, 2)}", vars)).toBe("AAEC")
    expect(substitute("${repeat(bytes(0, 2), 2)}", vars)).toBe("AAECAAEC")
  })

  it("refuses undefined variables instead of sending 'undefined'", () => {
    expect(() => substitute("${nope}", vars)).toThrow(/undefined variable/)
  })
})

describe("matchers", () => {
  it("compares offsets as strings and counters as numbers", () => {
    expect(match("0000_0010", { $gt: "0000_0009" })).toBeUndefined()
    expect(match("10", { $gt: "9" })).toBeUndefined()
    expect(match("9", { $gt: "10" })).toMatch(/expected/)
  })

  it("derives text, base64 and JSON messages from read chunks", () => {
    const result = {
      success: true,
      chunks: [
        { data: "aGk=", binary: true },
        { data: " there" },
      ],
    }
    expect(checkExpectation(result, { text: "hi there", chunks: 2 })).toBeUndefined()
    const json = { success: true, chunks: [{ data: '[{"a":1}]' }, { data: "[2,[3]]" }] }
    expect(checkExpectation(json, { messages: [{ a: 1 }, 2, [3]], "messages.2.0": 3 })).toBeUndefined()
  })

  it("looks up header names case-insensitively", () => {
    expect(checkExpectation({ success: true, headersSent: { "x-token": "t" } }, { "headersSent.X-Token": "t" })).toBeUndefined()
  })

  it("reports a failed command instead of a missing field", () => {
    const failure = { success: false, errorCode: "NOT_FOUND", status: 404, message: "no stream" }
    expect(checkExpectation(failure, { text: "x" })).toMatch(/the command failed: NOT_FOUND/)
    expect(checkExpectation(failure, { error: ["NOT_FOUND", "CONFLICT"], status: 404 })).toBeUndefined()
  })
})

describe("case files", () => {
  it("expands matrix families and drops the excepted combinations", () => {
    const cases = casesFrom(`
cases:
  - name: t-\${a}-\${b}
    about: checks \${a} with \${b}
    each:
      first: [{ a: x }, { a: y }]
      second: [{ b: "1", live: sse }, { b: "2", live: false }]
    except: [{ a: y, b: "2" }]
    steps:
      - read: { live: "\${live}" }
`)
    expect(cases.map((c) => c.name)).toEqual(["t-x-1", "t-x-2", "t-y-1"])
    expect(cases[1]!.steps[0]!.args).toEqual({ live: false })
    expect(impliedFeatures(cases[0]!)).toEqual(["sse"])
  })

  it("substitutes parameters into keys and spreads \$merge", () => {
    const [c] = casesFrom(`
cases:
  - name: k-\${op}
    about: about \${op}
    each: [{ op: head, extra: { maxRetries: 2 } }]
    steps:
      - "\${op}": {}
      - validate: { target: { target: retry-options, $merge: "\${extra}" } }
`)
    expect(c!.steps[0]!.action).toBe("head")
    expect(c!.steps[1]!.args).toEqual({ target: { target: "retry-options", maxRetries: 2 } })
    expect(impliedFeatures(c!)).toEqual(["retryOptions"])
  })

  it("rejects cases without an explanation or with two actions in a step", () => {
    expect(() => casesFrom("cases:\n  - name: a\n    steps: [{ head: {} }]\n")).toThrow(/about/)
    expect(() => casesFrom("cases:\n  - name: a\n    about: x\n    steps: [{ head: {}, read: {} }]\n")).toThrow(/exactly one action/)
  })
})
