// Auth on every request (checked where the requests arrive), stop() while a
// generation runs, and the in-page disconnect that resumes from the offset.
import { Chat } from "@ai-sdk/react"
import { isDurableStreamError } from "@durable-client/json"
import { useReferenceServer, waitFor } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { assistants, storedGeneration, textOf } from "../support/chat-helpers"
import { useChatSetup } from "../support/fixture"

const server = useReferenceServer()
const setup = useChatSetup(server)
const shown = (chat: Chat<any>) => textOf(assistants(chat.messages)[0])
const offsetOf = (path: string) => new URL(path, "http://x").searchParams.get("offset")

describe("headers and params", () => {
  it("go on every request, the chat POST and each durable-stream read, with a fresh token each time", async () => {
    let issued = 0
    let current = ""
    const token = () => (current = `Bearer token-${++issued}`)
    const { gate, transport, proxy, app } = await setup({ requireAuthorization: () => current })
    const options = {
      headers: { authorization: token, "x-client": "web" },
      params: { tenant: () => "acme" },
      body: { model: "small" },
    }
    const chat = new Chat({ id: "auth-1", transport: transport(options) })
    const sent = chat.sendMessage({ text: "hi" }, { headers: { "x-request": "r-1" } })
    await gate.started()
    gate.release(4)
    await waitFor(() => shown(chat).length > 0, "tokens on screen")
    // A resume from another window (a fresh transport) reads the same generation.
    const other = new Chat({ id: "auth-1", transport: transport(options), messages: chat.messages.slice(0, 1) })
    const resumed = other.resumeStream({ headers: { "x-request": "r-2" } })
    gate.finish()
    await Promise.all([sent, resumed])
    expect(shown(other)).toBe(gate.tokens.join(""))

    // The route saw the header, the params and the body fields.
    expect(app.requests).toHaveLength(1)
    const post = app.requests[0]!
    expect(post.headers.authorization).toMatch(/^Bearer token-\d+$/)
    expect(post.headers["x-client"]).toBe("web")
    expect(post.headers["x-request"]).toBe("r-1")
    expect(new URL(post.path, "http://x").searchParams.get("tenant")).toBe("acme")
    expect(post.body).toMatchObject({ id: "auth-1", trigger: "submit-message", model: "small" })

    // Every read of the generation's stream carried them too.
    const streamPath = new URL(app.generations[0]!.streamUrl).pathname
    const reads = proxy.requests.filter((request) => request.method === "GET" && request.path.startsWith(streamPath))
    expect(reads.length).toBeGreaterThanOrEqual(2)
    for (const read of reads) {
      expect(read.headers.authorization, read.path).toMatch(/^Bearer token-\d+$/)
      expect(read.headers["x-client"], read.path).toBe("web")
      expect(new URL(read.path, "http://x").searchParams.get("tenant"), read.path).toBe("acme")
      expect(["r-1", "r-2"]).toContain(read.headers["x-request"])
    }
    // Per-call headers stay with their call; the token function ran per request.
    expect(reads.filter((read) => read.headers["x-request"] === "r-2").length).toBeGreaterThan(0)
    expect(new Set([post, ...reads].map((request) => request.headers.authorization)).size).toBe(reads.length + 1)
  })
})

describe("stop()", () => {
  it("stops reading at once while the generation goes on being written, and a resume shows all of it", async () => {
    const { gate, transport, proxy, app } = await setup()
    const chat = new Chat({ id: "stop-1", transport: transport() })
    const sent = chat.sendMessage({ text: "hi" })
    await gate.started()
    gate.release(3)
    await waitFor(() => shown(chat).length > 0, "tokens on screen")
    await chat.stop()
    await sent
    expect(chat.status).toBe("ready")
    // No read is left open on the durable stream server.
    await waitFor(() => proxy.open === 0, "the live read to be closed")
    const shownAtStop = shown(chat)

    gate.finish()
    expect(await app.generations[0]!.done).toMatchObject({ outcome: "finished" })
    expect(shown(chat)).toBe(shownAtStop)
    const { chunks, closed } = await storedGeneration(app.generations[0]!.streamUrl)
    expect(closed).toBe(true)
    expect(chunks.filter((chunk) => chunk.type === "text-delta").map((chunk) => chunk.delta)).toEqual(gate.tokens)

    await chat.resumeStream()
    expect(chat.messages).toHaveLength(2)
    expect(shown(chat)).toBe(gate.tokens.join(""))
    expect(gate.calls).toBe(1)
  })

  it("keeps the generation running when the client drops the chat request itself", async () => {
    const { gate, app } = await setup()
    const leaving = new AbortController()
    const response = await fetch(app.api, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "gone-1", messages: [{ id: "u", role: "user", parts: [{ type: "text", text: "hi" }] }] }),
      signal: leaving.signal,
    })
    expect(response.headers.get("durable-stream-url")).toBe(app.generations[0]!.streamUrl)
    leaving.abort()
    await gate.started()
    gate.finish()
    expect(await app.generations[0]!.done).toMatchObject({ outcome: "finished" })
    const { chunks, closed } = await storedGeneration(app.generations[0]!.streamUrl)
    expect(closed).toBe(true)
    expect(chunks.filter((chunk) => chunk.type === "text-delta").map((chunk) => chunk.delta).join("")).toBe(gate.tokens.join(""))
  })
})

describe("a network disconnect in the page", () => {
  it("ends as a disconnect useChat recognises, and the resume reads on from the saved offset with nothing repeated", async () => {
    const { gate, transport, proxy, app } = await setup()
    let offline = false
    const chat = new Chat({
      id: "offline-1",
      transport: transport({
        retry: { maxRetries: 0 },
        // Stands in for the network: while offline, no request gets through.
        fetch: (input: string, init: RequestInit) => (offline ? Promise.reject(new TypeError("fetch failed")) : fetch(input, init)),
      }),
    })
    const sent = chat.sendMessage({ text: "hi" })
    await gate.started()
    gate.release(8)
    const eight = gate.tokens.slice(0, 8).join("")
    await waitFor(() => shown(chat) === eight, "8 tokens on screen")

    offline = true
    proxy.dropConnections()
    await sent
    expect(chat.status).toBe("error")
    expect(chat.error).toBeInstanceOf(TypeError)
    expect(chat.error?.message).toMatch(/^network error/)
    expect(isDurableStreamError(chat.error?.cause)).toBe(true)
    expect(chat.error?.cause).toMatchObject({ code: "NETWORK" })
    expect(shown(chat)).toBe(eight)

    gate.release(5)
    offline = false
    const readsBefore = proxy.requests.length
    await Promise.all([chat.resumeStream(), (async () => {
      await waitFor(() => shown(chat).length > eight.length, "the resumed read")
      gate.finish()
    })()])

    expect(chat.status).toBe("ready")
    expect(chat.messages).toHaveLength(2)
    expect(shown(chat)).toBe(gate.tokens.join(""))
    expect(assistants(chat.messages)[0]!.parts.filter((part) => part.type === "text")).toHaveLength(1)
    // The resume asked for the stream from where the page was, not from the start.
    const streamPath = new URL(app.generations[0]!.streamUrl).pathname
    const resumeRead = proxy.requests.slice(readsBefore).find((request) => request.path.startsWith(streamPath))!
    expect(offsetOf(resumeRead.path)).not.toBe("-1")
    expect(gate.calls).toBe(1)
  })
})
