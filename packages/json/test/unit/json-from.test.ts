import { describe, expect, it } from "vitest"
import { DurableStream, JsonStream, type StandardSchemaV1 } from "../../src/index"
import { jsonResponse } from "./support/msw"

const URL_TEXT = "http://json.test/v1/stream/from"

/** A fetch that answers one up-to-date read and records what each request carried. */
function recordingFetch() {
  const seen: Array<{ url: string; authorization: string | null }> = []
  const fetch = (async (input: string, init: RequestInit) => {
    seen.push({ url: input, authorization: new Headers(init.headers).get("authorization") })
    return jsonResponse('[{"n":1}]', "00000001", { upToDate: true })
  }) as typeof globalThis.fetch
  return { fetch, seen }
}

const upper: StandardSchemaV1<unknown, string> = {
  "~standard": { version: 1, vendor: "test", validate: (value) => ({ value: JSON.stringify(value).toUpperCase() }) },
}

describe("JsonStream.from", () => {
  it("wraps the very handle it is given, so every setting of it applies", async () => {
    const { fetch, seen } = recordingFetch()
    const bytes = new DurableStream({ url: URL_TEXT, fetch, headers: { authorization: "Bearer t" }, params: { tenant: "a" } })
    const json = JsonStream.from(bytes)
    expect(json.stream).toBe(bytes)
    expect(await json.read().json()).toEqual([{ n: 1 }])
    expect(seen).toHaveLength(1)
    expect(seen[0]!.authorization).toBe("Bearer t")
    expect(new URL(seen[0]!.url).searchParams.get("tenant")).toBe("a")
  })

  it("from a JsonStream returns it, or shares its byte handle under another schema", async () => {
    const { fetch } = recordingFetch()
    const json = new JsonStream({ url: URL_TEXT, fetch })
    expect(JsonStream.from(json)).toBe(json)
    const typed = JsonStream.from(json, { schema: upper })
    expect(typed.stream).toBe(json.stream)
    expect(typed.schema).toBe(upper)
    expect(await typed.read().json()).toEqual(['{"N":1}'])
  })

  it("keeps a JSON content type the handle already knows, and takes a handle that knows none yet", () => {
    const known = new DurableStream({ url: URL_TEXT, contentType: "application/json; charset=utf-8" })
    expect(JsonStream.from(known).stream.contentType).toBe("application/json; charset=utf-8")
    expect(JsonStream.from(new DurableStream({ url: URL_TEXT })).url).toBe(URL_TEXT)
  })
})
