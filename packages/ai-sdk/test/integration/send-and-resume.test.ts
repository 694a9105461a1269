// Send, reload mid-answer, second window, resume after the end: against the
// real reference server, with useChat's own Chat class and a chat route that
// runs streamText on a gated mock model.
import { Chat } from "@ai-sdk/react"
import { useReferenceServer, waitFor } from "@durable-client/testing/vitest"
import { DefaultChatTransport } from "ai"
import { describe, expect, it } from "vitest"
import { assistants, storedGeneration, textOf } from "../support/chat-helpers"
import { useChatSetup } from "../support/fixture"

const server = useReferenceServer()
const setup = useChatSetup(server)

const shown = (chat: Chat<never> | Chat<any>) => textOf(assistants(chat.messages)[0])

describe("sending", () => {
  it("shows the generated text exactly, read from the durable stream that holds each chunk once", async () => {
    const { gate, app, transport, proxy } = await setup()
    const chat = new Chat({ id: "send-1", transport: transport() })
    const sent = chat.sendMessage({ text: "What is a durable stream?" })
    await gate.started()
    gate.release(5)
    await waitFor(() => shown(chat) === gate.tokens.slice(0, 5).join(""), "the first tokens on screen")
    gate.finish()
    await sent

    expect(chat.status).toBe("ready")
    expect(chat.messages.map((message) => message.role)).toEqual(["user", "assistant"])
    expect(shown(chat)).toBe(gate.tokens.join(""))
    expect(gate.calls).toBe(1)
    // The chunks came from the durable stream (through the proxy), not from the POST body.
    const generation = app.generations[0]!
    expect(proxy.requests.some((request) => request.method === "GET" && generation.streamUrl.endsWith(request.path.split("?")[0]!))).toBe(true)

    const { chunks, closed } = await storedGeneration(generation.streamUrl)
    expect(closed).toBe(true)
    expect(chunks[0]).toEqual({ type: "start", messageId: generation.messageId })
    expect(chunks.at(-1)).toMatchObject({ type: "finish" })
    expect(chunks.filter((chunk) => chunk.type === "finish")).toHaveLength(1)
    const deltas = chunks.filter((chunk) => chunk.type === "text-delta").map((chunk) => chunk.delta)
    expect(deltas).toEqual(gate.tokens)
    // The message useChat built carries the stored id, so a replay can find it.
    expect(assistants(chat.messages)[0]!.id).toBe(generation.messageId)
    expect(await generation.done).toEqual({ outcome: "finished", chunks: chunks.length, offset: expect.any(String) })
  })

  it("answers in the AI SDK's own wire format too, so its default transport can read the same route", async () => {
    const { gate, app } = await setup()
    const chat = new Chat({ id: "default-1", transport: new DefaultChatTransport({ api: app.api }) })
    const sent = chat.sendMessage({ text: "hi" })
    await gate.started()
    gate.finish()
    await sent
    expect(chat.status).toBe("ready")
    expect(shown(chat)).toBe(gate.tokens.join(""))
  })
})

describe("resuming after a reload", () => {
  it("rebuilds a half-written answer exactly once from the stream, without calling the model again", async () => {
    const { gate, transport, app } = await setup()
    const first = new Chat({ id: "reload-1", transport: transport() })
    void first.sendMessage({ text: "Tell me about offsets" })
    await gate.started()
    gate.release(12)
    await waitFor(() => shown(first) === gate.tokens.slice(0, 12).join(""), "12 tokens on screen")

    // The reload: this page's chat goes away mid-answer; the app restores the
    // messages it had persisted (here: the user's, and the partial answer).
    await first.stop()
    const restored = structuredClone(first.messages)
    expect(assistants(restored)).toHaveLength(1)
    const second = new Chat({ id: "reload-1", transport: transport(), messages: restored })
    const resumed = second.resumeStream()
    await waitFor(() => shown(second) === gate.tokens.slice(0, 12).join(""), "the replay to catch up")
    gate.release(10)
    gate.finish()
    await resumed

    expect(second.status).toBe("ready")
    expect(second.messages.map((message) => message.role)).toEqual(["user", "assistant"])
    expect(assistants(second.messages)[0]!.id).toBe(app.generations[0]!.messageId)
    expect(shown(second)).toBe(gate.tokens.join(""))
    expect(assistants(second.messages)[0]!.parts.filter((part) => part.type === "text")).toHaveLength(1)
    expect(gate.calls).toBe(1)
  })

  it("brings back the answer after a reload that restored only the user's message", async () => {
    const { gate, transport } = await setup()
    const first = new Chat({ id: "reload-2", transport: transport() })
    void first.sendMessage({ text: "hi" })
    await gate.started()
    gate.release(4)
    await waitFor(() => shown(first).length > 0, "tokens on screen")
    await first.stop()

    const second = new Chat({ id: "reload-2", transport: transport(), messages: first.messages.slice(0, 1) })
    const resumed = second.resumeStream()
    gate.finish()
    await resumed
    expect(second.messages.map((message) => message.role)).toEqual(["user", "assistant"])
    expect(shown(second)).toBe(gate.tokens.join(""))
    expect(gate.calls).toBe(1)
  })

  it("shows the answer live in a second window opened on the same chat", async () => {
    const { gate, transport } = await setup()
    const first = new Chat({ id: "window-1", transport: transport() })
    const sent = first.sendMessage({ text: "hi" })
    await gate.started()
    gate.release(6)
    await waitFor(() => shown(first).length > 0, "tokens in the first window")

    const second = new Chat({ id: "window-1", transport: transport(), messages: first.messages.slice(0, 1) })
    const resumed = second.resumeStream()
    await waitFor(() => shown(second) === gate.tokens.slice(0, 6).join(""), "the second window to catch up")
    // Live in both windows, token by token.
    gate.release(1)
    const seven = gate.tokens.slice(0, 7).join("")
    await waitFor(() => shown(first) === seven && shown(second) === seven, "the next token in both windows")
    gate.finish()
    await Promise.all([sent, resumed])
    expect(shown(first)).toBe(gate.tokens.join(""))
    expect(shown(second)).toBe(gate.tokens.join(""))
    expect(gate.calls).toBe(1)
  })

  it("rebuilds a finished answer once, and the resumed read ends at the stream's close", async () => {
    const { gate, transport, app } = await setup()
    const first = new Chat({ id: "finished-1", transport: transport() })
    const sent = first.sendMessage({ text: "hi" })
    await gate.started()
    gate.finish()
    await sent
    await app.generations[0]!.done

    const second = new Chat({ id: "finished-1", transport: transport(), messages: structuredClone(first.messages) })
    await second.resumeStream()
    expect(second.status).toBe("ready")
    expect(second.messages).toHaveLength(2)
    expect(shown(second)).toBe(gate.tokens.join(""))
    expect(gate.calls).toBe(1)
  })

  it("has nothing to resume for a chat that never sent, and asks no server", async () => {
    const { transport, proxy, app } = await setup()
    const chat = new Chat({ id: "never-sent", transport: transport() })
    await chat.resumeStream()
    expect(chat.status).toBe("ready")
    expect(chat.messages).toEqual([])
    expect(proxy.requests).toEqual([])
    expect(app.requests).toEqual([])
  })

  it("treats a generation whose stream has expired or been deleted as nothing to resume", async () => {
    const { gate, transport, app } = await setup()
    const first = new Chat({ id: "expired-1", transport: transport() })
    const sent = first.sendMessage({ text: "hi" })
    await gate.started()
    gate.finish()
    await sent
    await app.generations[0]!.done
    await fetch(app.generations[0]!.streamUrl, { method: "DELETE" })

    const chat = new Chat({ id: "expired-1", transport: transport(), messages: structuredClone(first.messages) })
    await chat.resumeStream()
    expect(chat.status).toBe("ready")
    expect(chat.error).toBeUndefined()
    expect(chat.messages).toEqual(first.messages)
  })
})
