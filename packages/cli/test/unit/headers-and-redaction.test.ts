import { describe, expect, it } from "vitest"
import { createRedactor, urlSecrets } from "../../src/redact"
import { collectHeaders, parseHeader } from "../../src/request-headers"

describe("collectHeaders", () => {
  it("applies DURABLE_STREAM_HEADERS, DURABLE_STREAM_TOKEN, --header and --token in rising precedence", () => {
    const env = { DURABLE_STREAM_HEADERS: "X-A: env\r\nAuthorization: Basic abc\n\n", DURABLE_STREAM_TOKEN: "envtoken" }
    expect(collectHeaders({ flags: [], token: undefined, env })).toEqual({ "X-A": "env", Authorization: "Bearer envtoken" })
    expect(collectHeaders({ flags: ["x-a: flag", "authorization: Basic zzz"], token: undefined, env })).toEqual({
      "x-a": "flag",
      authorization: "Basic zzz",
    })
    expect(collectHeaders({ flags: ["Authorization: Basic zzz"], token: "flagtoken", env })).toMatchObject({ Authorization: "Bearer flagtoken" })
  })

  it("names the bad header's source and name, never its value", () => {
    const attempts: Array<[() => unknown, RegExp]> = [
      [() => parseHeader("no colon secretvalue", "--header #1"), /--header #1 is not in the form/],
      [() => parseHeader("Bad Name: secretvalue", "--header #2"), /"Bad Name" is not a valid header name/],
      [() => collectHeaders({ flags: [], token: "has space secretvalue", env: {} }), /--token contains whitespace/],
      [() => collectHeaders({ flags: [], token: undefined, env: { DURABLE_STREAM_HEADERS: "X: ok\nnope secretvalue" } }), /DURABLE_STREAM_HEADERS line 2/],
    ]
    for (const [attempt, message] of attempts) {
      expect(attempt).toThrow(message)
      try {
        attempt()
      } catch (error) {
        expect((error as Error).message).not.toContain("secretvalue")
      }
    }
  })
})

describe("createRedactor", () => {
  it("replaces secrets, their last word, URL credentials and query values", () => {
    const redact = createRedactor(["Bearer abcdef123", ...urlSecrets("https://user:pa55word@h/s?sig=s1gnature&x=")])
    expect(redact("sent Bearer abcdef123; echoed abcdef123")).toBe("sent [redacted]; echoed [redacted]")
    expect(redact("GET https://user:pa55word@h/s?sig=s1gnature failed")).toBe("GET https://***@h/s?sig=[redacted] failed")
  })

  it("leaves short values alone, so ordinary words survive", () => {
    expect(createRedactor(["yes"])("yes, it worked")).toBe("yes, it worked")
  })
})
