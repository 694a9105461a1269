import { http, HttpResponse } from "msw"
import { describe, expect, it } from "vitest"
import { DurableStream } from "../../src/index"
import {
  FAST_RETRY,
  drain,
  hangUntilAborted,
  noContent,
  queryKeys,
  reply,
  scripted,
  streamUrl,
  take,
  text,
  until,
  useMswServer,
  type SeenRequest,
} from "./support/msw"

const server = useMswServer()

const param = (request: SeenRequest, name: string): string | null => request.url.searchParams.get(name)

describe("long-poll", () => {
  it("echoes the latest Stream-Cursor as the cursor parameter", async () => {
    const url = streamUrl("lp-cursor")
    const log: SeenRequest[] = []
    server.use(
      http.get(
        url,
        scripted(
          [
            reply("a", { offset: "0001", upToDate: true, cursor: "c-100" }),
            reply("b", { offset: "0002", upToDate: true, cursor: "c-200" }),
            noContent({ offset: "0002", cursor: "c-300" }),
            noContent({ offset: "0002" }), // no cursor: keep the last one
            noContent({ offset: "0002", closed: true }),
          ],
          log
        )
      )
    )
    const session = new DurableStream({ url }).read({ live: "long-poll" })
    await drain(session)
    expect(log.map((r) => [param(r, "offset"), param(r, "cursor"), param(r, "live")])).toEqual([
      // A plain catch-up GET first; a cursor it carries is echoed by the first poll.
      ["-1", null, null],
      ["0001", "c-100", "long-poll"],
      ["0002", "c-200", "long-poll"],
      ["0002", "c-300", "long-poll"],
      ["0002", "c-300", "long-poll"],
    ])
    expect(session.cursor).toBe("c-300")
  })

  it("treats 204 as a timeout: takes its offset and polls again", async () => {
    const url = streamUrl("lp-204")
    const log: SeenRequest[] = []
    server.use(
      http.get(
        url,
        scripted(
          [
            reply("abc", { offset: "0003", upToDate: true, cursor: "1" }),
            noContent({ offset: "0003", cursor: "2" }),
            noContent({ offset: "0005", cursor: "3" }), // tail moved (e.g. data expired) without data for us
            reply("xyz", { offset: "0008", upToDate: true, cursor: "4" }),
          ],
          log
        )
      )
    )
    const session = new DurableStream({ url }).read({ live: "long-poll" })
    const iterator = session[Symbol.asyncIterator]()
    const chunks = await take(iterator, 3)
    expect(chunks.map((c) => [text(c.data), c.offset, c.upToDate, c.closed])).toEqual([
      ["abc", "0003", true, false],
      ["", "0005", true, false],
      ["xyz", "0008", true, false],
    ])
    expect(log.map((r) => param(r, "offset"))).toEqual(["-1", "0003", "0003", "0005"])
    expect(session.closed).toBe(false)
    expect(session.status).toBe("live")
    await session.cancel()
  })

  it("ends at 204 + Stream-Closed (EOF) without polling again", async () => {
    const url = streamUrl("lp-eof")
    const log: SeenRequest[] = []
    server.use(
      http.get(
        url,
        scripted(
          [reply("abc", { offset: "0003", upToDate: true, cursor: "1" }), noContent({ offset: "0003", closed: true })],
          log
        )
      )
    )
    const session = new DurableStream({ url }).read({ live: "long-poll" })
    const chunks = await drain(session)
    expect(chunks.map((c) => [text(c.data), c.closed])).toEqual([
      ["abc", false],
      ["", true],
    ])
    expect(session.closed).toBe(true)
    expect(session.offset).toBe("0003")
    expect(log).toHaveLength(2)
  })

  it("sorts query parameters lexicographically, custom ones included", async () => {
    const url = `${streamUrl("lp-order")}?token=t1`
    const log: SeenRequest[] = []
    server.use(
      http.get(
        url.split("?")[0]!,
        scripted(
          [reply("a", { offset: "0001", upToDate: true, cursor: "c" }), noContent({ offset: "0001", closed: true })],
          log
        )
      )
    )
    const stream = new DurableStream({ url, params: { zeta: "z", alpha: "a" } })
    await drain(stream.read({ live: "long-poll", params: { mid: "m" } }))
    expect(queryKeys(log[0]!.url)).toEqual(["alpha", "mid", "offset", "token", "zeta"])
    expect(queryKeys(log[1]!.url)).toEqual(["alpha", "cursor", "live", "mid", "offset", "token", "zeta"])
    expect(log[1]!.url.searchParams.get("token")).toBe("t1")
  })

  it("URL-encodes offsets and cursors", async () => {
    const url = streamUrl("lp-encode")
    const log: SeenRequest[] = []
    server.use(
      http.get(
        url,
        scripted(
          [
            // Sorts after the starting offset, as offsets must.
            reply("a", { offset: "é+2 %x", upToDate: true, cursor: "a b" }),
            noContent({ offset: "é+2 %x", closed: true }),
          ],
          log
        )
      )
    )
    await drain(new DurableStream({ url }).read({ live: "long-poll", offset: "é&=?" }))
    expect(log[0]!.url.search).toBe("?offset=%C3%A9%26%3D%3F")
    expect(log[1]!.url.search).toBe("?cursor=a%20b&live=long-poll&offset=%C3%A9%2B2%20%25x")
    expect(param(log[1]!, "offset")).toBe("é+2 %x")
  })

  it("reissues a poll the server never answers once the client-side timeout expires", async () => {
    const url = streamUrl("lp-client-timeout")
    const log: SeenRequest[] = []
    let firstAborted = false
    server.use(
      http.get(
        url,
        scripted(
          [
            reply("a", { offset: "0001", upToDate: true, cursor: "c1" }),
            (request) => {
              request.signal.addEventListener("abort", () => {
                firstAborted = true
              })
              return hangUntilAborted(request)
            },
            reply("b", { offset: "0002", upToDate: true, cursor: "c2" }),
            noContent({ offset: "0002", closed: true }),
          ],
          log
        )
      )
    )
    const session = new DurableStream({ url, retry: FAST_RETRY }).read({
      live: "long-poll",
      longPollTimeoutMs: 30,
    })
    const chunks = await drain(session)
    expect(chunks.map((c) => text(c.data)).join("")).toBe("ab")
    expect(firstAborted).toBe(true)
    expect(log.slice(1, 3).map((r) => [param(r, "offset"), param(r, "cursor")])).toEqual([
      ["0001", "c1"],
      ["0001", "c1"],
    ])
  })

  it("waits for data on a quiet stream until it arrives", async () => {
    const url = streamUrl("lp-quiet")
    const log: SeenRequest[] = []
    let release: ((response: Response) => void) | undefined
    server.use(
      http.get(
        url,
        scripted(
          [
            reply("a", { offset: "0001", upToDate: true, cursor: "c1" }),
            () =>
              new Promise<Response>((resolve) => {
                release = resolve
              }),
          ],
          log
        )
      )
    )
    const session = new DurableStream({ url }).read({ live: "long-poll" })
    const iterator = session[Symbol.asyncIterator]()
    await take(iterator, 1)
    const next = iterator.next()
    await until(() => release !== undefined, "the second poll")
    expect(session.status).toBe("live")
    release!(
      new HttpResponse("late", {
        headers: { "Stream-Next-Offset": "0005", "Stream-Up-To-Date": "true", "Stream-Cursor": "c2" },
      })
    )
    const result = await next
    expect(result.done).toBe(false)
    expect(text(result.value!.data)).toBe("late")
    await session.cancel()
  })
})
