import { describe, expect, it } from "vitest"
import { inspectTarget, upstreamUrl } from "../../src/inspector/target"
import { joinName, resolveStreamUrl } from "../../src/target"

describe("resolveStreamUrl", () => {
  it("takes a full URL as it is", () => {
    expect(resolveStreamUrl("https://s.example/v1/stream/a?k=1", undefined, {})).toBe("https://s.example/v1/stream/a?k=1")
  })

  it("resolves a name against the base URL, with or without its trailing slash, keeping the base's query", () => {
    expect(resolveStreamUrl("chat/42", "https://s.example/v1/stream", {})).toBe("https://s.example/v1/stream/chat/42")
    expect(resolveStreamUrl("chat", "https://s.example/v1/stream/?tenant=t", {})).toBe("https://s.example/v1/stream/chat?tenant=t")
  })

  it("falls back to DURABLE_STREAM_URL", () => {
    expect(resolveStreamUrl(undefined, undefined, { DURABLE_STREAM_URL: " https://s.example/x " })).toBe("https://s.example/x")
  })

  it("refuses names that leave the base, carry a query, or have no base to resolve against", () => {
    for (const name of ["../x", "a/./b", "a//b", "a?b", "a b", "", "a#b"]) {
      expect(() => joinName("https://s.example/v1/", name), name).toThrow(/not a stream name/)
    }
    expect(() => resolveStreamUrl("chat", undefined, {})).toThrow(/DURABLE_STREAM_BASE_URL/)
    expect(() => resolveStreamUrl(undefined, undefined, {})).toThrow(/DURABLE_STREAM_URL/)
    expect(() => resolveStreamUrl("ftp://s.example/x", undefined, {})).toThrow(/http/)
    expect(() => resolveStreamUrl(undefined, undefined, { DURABLE_STREAM_URL: "not a url" })).toThrow(/not a valid URL/)
  })
})

describe("inspector target", () => {
  it("a stream URL opens that stream; names are relative to its folder", () => {
    const target = inspectTarget("http://127.0.0.1:4437/v1/stream/chat?token=t")
    expect(target).toEqual({ prefix: "http://127.0.0.1:4437/v1/stream/", search: "?token=t", initialStream: "chat" })
    expect(upstreamUrl(target, "other", "?offset=-1&live=sse")).toBe("http://127.0.0.1:4437/v1/stream/other?live=sse&offset=-1&token=t")
  })

  it("a URL ending in / opens nothing", () => {
    expect(inspectTarget("http://h/v1/stream/").initialStream).toBe("")
  })

  it("never reaches outside the prefix", () => {
    const target = inspectTarget("http://h/v1/stream/")
    for (const name of ["", "..", "a/../../x", "./a", "a//b", "%2e%2e/x", "a%2Fb", "a\\b", "http://evil/x", "a b"]) {
      expect(upstreamUrl(target, name, ""), name).toBeUndefined()
    }
    expect(upstreamUrl(target, "nested/name%20x", "")).toBe("http://h/v1/stream/nested/name%20x")
  })
})
