import { http, HttpResponse } from "msw"
import { describe, expect, it, vi } from "vitest"
import { DurableStreamError, JsonStream, type JsonBatch } from "../../src/index"
import { failure, jsonResponse, settleTurns, sseEvent, sseResponse, streamUrl, useMswServer } from "./support/msw"

const server = useMswServer()

type Page = () => Response

/**
 * Serves catch-up GETs by the requested offset; an offset with no page is a
 * test failure. Returns the offsets requested, in order.
 */
function serveReads(url: string, pages: Record<string, Page>): string[] {
  const requested: string[] = []
  server.use(
    http.get(url, ({ request }) => {
      const offset = new URL(request.url).searchParams.get("offset") ?? "(none)"
      requested.push(offset)
      const page = pages[offset]
      if (!page) return new HttpResponse(`no page for offset ${offset}`, { status: 500 })
      return page()
    })
  )
  return requested
}

/** Three responses: two messages, one (an array), then two more and up to date. */
function threePages(url: string): string[] {
  return serveReads(url, {
    "-1": () => jsonResponse('[{"n":1},{"n":2}]', "00000002"),
    "00000002": () => jsonResponse("[[3,3]]", "00000003"),
    "00000003": () => jsonResponse('[{"n":4},"five"]', "00000005", { upToDate: true }),
  })
}

describe("JsonReadSession batches", () => {
  it("yields one batch per response with items, offset, upToDate and closed", async () => {
    const url = streamUrl("batches")
    const requested = threePages(url)
    const batches: JsonBatch<unknown>[] = []
    for await (const batch of new JsonStream({ url }).read()) batches.push(batch)
    expect(batches).toEqual([
      { items: [{ n: 1 }, { n: 2 }], offset: "00000002", start: "-1", upToDate: false, closed: false },
      { items: [[3, 3]], offset: "00000003", start: "00000002", upToDate: false, closed: false },
      { items: [{ n: 4 }, "five"], offset: "00000005", start: "00000003", upToDate: true, closed: false },
    ])
    expect(requested).toEqual(["-1", "00000002", "00000003"])
  })

  it("gives each message its position: the batch's start offset plus its index", async () => {
    const url = streamUrl("positions")
    threePages(url)
    const batches: JsonBatch<unknown>[] = []
    for await (const batch of new JsonStream({ url }).read()) batches.push(batch)
    expect(batches.map((batch) => batch.positions.map((position) => position.key))).toEqual([
      ["-1#0", "-1#1"],
      ["00000002#0"],
      ["00000003#0", "00000003#1"],
    ])
    expect(batches[2]!.positions[1]).toEqual({ offset: "00000003", index: 1, key: "00000003#1" })
    // Positions are made once per batch, and stay out of the batch's own keys.
    expect(batches[2]!.positions).toBe(batches[2]!.positions)
    expect(Object.keys(batches[2]!)).not.toContain("positions")
  })

  it("reports closed: true on the batch that reaches the end of a closed stream", async () => {
    const url = streamUrl("closed")
    serveReads(url, {
      "-1": () => jsonResponse("[1]", "00000001"),
      "00000001": () => jsonResponse("[2]", "00000002", { upToDate: true, closed: true }),
    })
    const session = new JsonStream({ url }).read()
    const batches: JsonBatch<unknown>[] = []
    for await (const batch of session) batches.push(batch)
    expect(batches.at(-1)).toEqual({ items: [2], offset: "00000002", start: "00000001", upToDate: true, closed: true })
    expect(session.closed).toBe(true)
    expect(session.offset).toBe("00000002")
  })

  it("treats a 0-byte body and [] alike: a batch with no items that still moves the offset", async () => {
    const url = streamUrl("empty-bodies")
    serveReads(url, {
      "-1": () => jsonResponse("", "00000000"),
      "00000000": () => jsonResponse("[]", "00000004"),
      "00000004": () => jsonResponse("[7]", "00000005", { upToDate: true }),
    })
    const batches: JsonBatch<unknown>[] = []
    for await (const batch of new JsonStream({ url }).read({ offset: "-1" })) batches.push(batch)
    expect(batches.map((b) => b.items)).toEqual([[], [], [7]])
    expect(batches.map((b) => b.offset)).toEqual(["00000000", "00000004", "00000005"])
  })

  it("an empty stream reads as no messages", async () => {
    const url = streamUrl("empty-stream")
    serveReads(url, { "-1": () => jsonResponse("[]", "00000000", { upToDate: true }) })
    expect(await new JsonStream({ url }).read().json()).toEqual([])
  })

  it("json() returns every message across responses in order", async () => {
    const url = streamUrl("json-all")
    threePages(url)
    expect(await new JsonStream({ url }).read().json()).toEqual([{ n: 1 }, { n: 2 }, [3, 3], { n: 4 }, "five"])
  })

  it("reads from a saved offset", async () => {
    const url = streamUrl("from-offset")
    const requested = threePages(url)
    expect(await new JsonStream({ url }).read({ offset: "00000003" }).json()).toEqual([{ n: 4 }, "five"])
    expect(requested).toEqual(["00000003"])
  })
})

describe("messages()", () => {
  it("yields each message on its own, in order, advancing offset per batch after its last message", async () => {
    const url = streamUrl("messages")
    threePages(url)
    const session = new JsonStream({ url }).read()
    const seen: Array<[unknown, string]> = []
    for await (const message of session.messages()) seen.push([message, session.offset])
    expect(seen).toEqual([
      [{ n: 1 }, "-1"],
      [{ n: 2 }, "-1"],
      [[3, 3], "00000002"],
      [{ n: 4 }, "00000003"],
      ["five", "00000003"],
    ])
    expect(session.offset).toBe("00000005")
    expect(session.upToDate).toBe(true)
  })

  it("breaking out early stops the session without requesting further", async () => {
    const url = streamUrl("messages-break")
    const requested = threePages(url)
    const session = new JsonStream({ url }).read()
    for await (const message of session.messages()) {
      expect(message).toEqual({ n: 1 })
      break
    }
    expect(requested).toEqual(["-1"])
    expect(session.status).toBe("closed")
  })
})

describe("forEach", () => {
  it("awaits each async handler before the next batch and advances offset only after it", async () => {
    const url = streamUrl("subscribe")
    threePages(url)
    const session = new JsonStream({ url }).read()
    const calls: Array<{ items: unknown[]; offsetDuring: string }> = []
    let running = 0
    let overlapped = false
    await session.forEach(async (batch) => {
      if (running > 0) overlapped = true
      running++
      calls.push({ items: batch.items, offsetDuring: session.offset })
      // The handler stays busy across event-loop turns, where a next batch could slip in.
      await settleTurns()
      // Still not committed while the handler is running.
      expect(session.offset).toBe(calls.at(-1)!.offsetDuring)
      running--
    })
    expect(overlapped).toBe(false)
    expect(calls).toEqual([
      { items: [{ n: 1 }, { n: 2 }], offsetDuring: "-1" },
      { items: [[3, 3]], offsetDuring: "00000002" },
      { items: [{ n: 4 }, "five"], offsetDuring: "00000003" },
    ])
    expect(session.offset).toBe("00000005")
  })

  it("a failing handler rejects forEach and leaves offset at the last handled batch", async () => {
    const url = streamUrl("subscribe-throws")
    threePages(url)
    const session = new JsonStream({ url }).read()
    const boom = new Error("handler failed")
    let calls = 0
    const outcome = session.forEach((batch) => {
      calls++
      if (batch.offset === "00000003") throw boom
    })
    await expect(outcome).rejects.toBe(boom)
    expect(calls).toBe(2)
    expect(session.offset).toBe("00000002")
  })

  it("subscribeJson(handler), the deprecated alias, still consumes like forEach", async () => {
    const url = streamUrl("subscribe-json-alias")
    threePages(url)
    const session = new JsonStream({ url }).read()
    const items: unknown[] = []
    await session.subscribeJson((batch) => void items.push(...batch.items))
    expect(items).toEqual([{ n: 1 }, { n: 2 }, [3, 3], { n: 4 }, "five"])
    expect(session.offset).toBe("00000005")
  })
})

describe("PARSE_ERROR", () => {
  it.each([
    ["truncated JSON", '[{"n":3},{"n"'],
    ["invalid JSON", "[1,,2]"],
    ["a non-array object", '{"n":3}'],
    ["a non-array scalar", "3"],
  ])("%s fails with PARSE_ERROR naming stream and offset; offset stays at the last good batch", async (_name, bad) => {
    const url = streamUrl("parse-error")
    const requested = serveReads(url, {
      "-1": () => jsonResponse("[1,2]", "00000002"),
      "00000002": () => jsonResponse(bad, "00000004", { upToDate: true }),
    })
    const session = new JsonStream({ url }).read()
    const items: unknown[] = []
    const error = await failure(
      (async () => {
        for await (const batch of session) items.push(...batch.items)
      })()
    )
    expect(error.code).toBe("PARSE_ERROR")
    expect(error.url).toBe(url)
    expect(error.offset).toBe("00000002")
    expect(error.message).toContain(url)
    expect(error.message).toContain("00000002")
    expect(items).toEqual([1, 2])
    expect(session.offset).toBe("00000002")
    // The session reports the failure, not a normal end.
    expect(session.status).toBe("error")
    // Nothing is requested behind the failed batch, however long we give it.
    await settleTurns(10)
    expect(requested).toEqual(["-1", "00000002"])
  })

  it("json() rejects on a bad body instead of returning what it had", async () => {
    const url = streamUrl("parse-json")
    serveReads(url, {
      "-1": () => jsonResponse("[1]", "00000001"),
      "00000001": () => jsonResponse("[2", "00000002", { upToDate: true }),
    })
    expect((await failure(new JsonStream({ url }).read().json())).code).toBe("PARSE_ERROR")
  })

  it("messages() and forEach() fail the same way and keep the checkpoint", async () => {
    const url = streamUrl("parse-variants")
    serveReads(url, {
      "-1": () => jsonResponse("[1]", "00000001"),
      "00000001": () => jsonResponse("not json", "00000002", { upToDate: true }),
    })
    const stream = new JsonStream({ url })
    const viaMessages = stream.read()
    const error1 = await failure(
      (async () => {
        for await (const _ of viaMessages.messages()) void _
      })()
    )
    expect(error1.code).toBe("PARSE_ERROR")
    expect(viaMessages.offset).toBe("00000001")
    expect(viaMessages.status).toBe("error")

    const viaSubscribe = stream.read()
    const heard: string[] = []
    viaSubscribe.onStatusChange((status) => heard.push(status))
    const handled: unknown[] = []
    const error2 = await failure(viaSubscribe.forEach((batch) => void handled.push(...batch.items)))
    expect(error2.code).toBe("PARSE_ERROR")
    expect(error2.offset).toBe("00000001")
    expect(handled).toEqual([1])
    expect(viaSubscribe.offset).toBe("00000001")
    expect(viaSubscribe.status).toBe("error")
    // Listeners hear the failure, never a "closed" that reads as a normal end.
    expect(heard.at(-1)).toBe("error")
    expect(heard).not.toContain("closed")
  })

  it("status listeners of an iterated session hear error, not closed, on a parse error", async () => {
    const url = streamUrl("parse-status")
    serveReads(url, {
      "-1": () => jsonResponse("[1]", "00000001"),
      "00000001": () => jsonResponse("[oops", "00000002", { upToDate: true }),
    })
    const session = new JsonStream({ url }).read()
    const heard: string[] = []
    session.onStatusChange((status) => heard.push(status))
    expect((await failure(session.json())).code).toBe("PARSE_ERROR")
    expect(heard).toEqual(["catching-up", "error"])
    expect(session.status).toBe("error")
  })

  it("a throwing status listener does not stop the other listeners or the read", async () => {
    const url = streamUrl("throwing-listener")
    serveReads(url, { "-1": () => jsonResponse("[1,2]", "00000002", { upToDate: true }) })
    const reported: unknown[] = []
    vi.stubGlobal("reportError", (error: unknown) => reported.push(error))
    try {
      const session = new JsonStream({ url }).read()
      const heard: string[] = []
      session.onStatusChange(() => {
        throw new Error("listener bug")
      })
      session.onStatusChange((status) => heard.push(status))
      expect(await session.json()).toEqual([1, 2])
      expect(heard).toEqual(["catching-up", "closed"])
      expect(reported).toHaveLength(2)
      expect(reported[0]).toMatchObject({ code: "CALLBACK_FAILED", url })
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it("a new read from the saved offset works once the server answers properly", async () => {
    const url = streamUrl("parse-resume")
    let broken = true
    const requested = serveReads(url, {
      "-1": () => jsonResponse('["a","b"]', "00000002"),
      "00000002": () =>
        broken ? jsonResponse('["c",', "00000003") : jsonResponse('["c","d"]', "00000004", { upToDate: true }),
    })
    const stream = new JsonStream({ url })
    const first = stream.read()
    const seen: unknown[] = []
    const error = await failure(
      (async () => {
        for await (const batch of first) seen.push(...batch.items)
      })()
    )
    expect(error).toBeInstanceOf(DurableStreamError)
    broken = false
    for await (const batch of stream.read({ offset: first.offset })) seen.push(...batch.items)
    expect(seen).toEqual(["a", "b", "c", "d"])
    expect(requested).toEqual(["-1", "00000002", "00000002"])
  })
})

describe("SSE", () => {
  it("merges several data events before one control event into ONE batch, in order", async () => {
    const url = streamUrl("sse")
    const requests: URL[] = []
    server.use(
      http.get(url, ({ request }): Response => {
        // Every live read starts with a plain catch-up GET: here it finds nothing new.
        if (!new URL(request.url).searchParams.has("live")) return jsonResponse("[]", "00000000", { upToDate: true })
        requests.push(new URL(request.url))
        const body =
          sseEvent("data", '[{"n":1},{"n":2}]') +
          sseEvent("data", "[[3,3]]") +
          sseEvent("data", "[]") +
          sseEvent("data", '["four"]') +
          sseEvent("control", JSON.stringify({ streamNextOffset: "00000004", upToDate: true })) +
          sseEvent("data", "[5]") +
          sseEvent(
            "control",
            JSON.stringify({ streamNextOffset: "00000005", upToDate: true, streamClosed: true })
          )
        return sseResponse(body)
      })
    )
    const batches: JsonBatch<unknown>[] = []
    const session = new JsonStream({ url }).read({ offset: "00000000", live: "sse" })
    for await (const batch of session) batches.push(batch)
    expect(batches).toEqual([
      { items: [], offset: "00000000", start: "00000000", upToDate: true, closed: false },
      { items: [{ n: 1 }, { n: 2 }, [3, 3], "four"], offset: "00000004", start: "00000000", upToDate: true, closed: false },
      { items: [5], offset: "00000005", start: "00000004", upToDate: true, closed: true },
    ])
    expect(requests).toHaveLength(1)
    expect(requests[0]!.searchParams.get("live")).toBe("sse")
    expect(requests[0]!.searchParams.get("offset")).toBe("00000000")
    expect(session.offset).toBe("00000005")
  })
})
