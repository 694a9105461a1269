// Failures end a stored generation with an error (or abort) chunk and a
// close, and the chat route's own failures reach useChat as typed errors.
import { Chat } from "@ai-sdk/react"
import { useReferenceServer, waitFor } from "@durable-client/testing/vitest"
import type { UIMessageChunk } from "ai"
import { describe, expect, it } from "vitest"
import { DurableChatTransport, isDurableStreamError, memoryChatStreamStore, startChatStream } from "../../src"
import { assistants, storedGeneration, textOf } from "../support/chat-helpers"
import { useChatSetup } from "../support/fixture"

const server = useReferenceServer()
const setup = useChatSetup(server)

/** Reads a chat response body until `count` SSE events have arrived: by then the writer has taken them. */
async function eventsArrived(body: ReadableStream<Uint8Array>, count: number): Promise<void> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ""
  while (text.split("\n\n").length - 1 < count) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`the body ended after ${text}`)
    text += decoder.decode(value, { stream: true })
  }
  reader.releaseLock()
}

/** A source the test feeds chunk by chunk. */
function controlledSource() {
  let controller!: ReadableStreamDefaultController<UIMessageChunk>
  let cancelled: unknown = "not cancelled"
  const stream = new ReadableStream<UIMessageChunk>({
    start: (c) => void (controller = c),
    cancel: (reason) => void (cancelled = reason),
  })
  return { stream, controller, cancelled: () => cancelled }
}

describe("a generation that fails", () => {
  it("is stored with an error chunk and closed; useChat shows the error, and a resume shows it again", async () => {
    const { gate, transport, app } = await setup()
    const chat = new Chat({ id: "model-fails", transport: transport() })
    const sent = chat.sendMessage({ text: "hi" })
    await gate.started()
    gate.release(3)
    await waitFor(() => textOf(assistants(chat.messages)[0]).length > 0, "tokens on screen")
    gate.fail(new Error("provider connection reset (secret-key-123)"))
    await sent

    expect(chat.status).toBe("error")
    const { chunks, closed } = await storedGeneration(app.generations[0]!.streamUrl)
    expect(closed).toBe(true)
    const errors = chunks.filter((chunk) => chunk.type === "error")
    expect(errors).toHaveLength(1)
    expect(chat.error?.message).toBe(errors[0]!.errorText)
    expect(chunks.slice(chunks.indexOf(errors[0]!) + 1).every((chunk) => chunk.type !== "text-delta")).toBe(true)
    // The model's error reached the writer as a failed source: its details stay out of the stream.
    expect(await app.generations[0]!.done).toMatchObject({ outcome: "errored" })
    expect(errors[0]!.errorText).not.toContain("secret-key-123")

    const again = new Chat({ id: "model-fails", transport: transport(), messages: chat.messages.slice(0, 1) })
    await again.resumeStream()
    expect(again.status).toBe("error")
    expect(again.error?.message).toBe(errors[0]!.errorText)
    expect(textOf(assistants(again.messages)[0])).toBe(gate.tokens.slice(0, 3).join(""))
    expect(gate.calls).toBe(1)
  })

  it("ends with an error chunk carrying getErrorText's text when the source itself throws", async () => {
    const source = controlledSource()
    const chat = await startChatStream({
      stream: source.stream,
      streamUrl: server.streamUrl(),
      getErrorText: (error) => `generation failed: ${(error as Error).message}`,
    })
    source.controller.enqueue({ type: "start" })
    source.controller.enqueue({ type: "text-start", id: "t" })
    source.controller.enqueue({ type: "text-delta", id: "t", delta: "Hel" })
    // A stream's error drops chunks still queued in it: let the writer take them first.
    await eventsArrived(chat.response().body!, 3)
    source.controller.error(new Error("socket hang up"))

    expect(await chat.done).toMatchObject({ outcome: "errored", chunks: 4 })
    const { chunks, closed } = await storedGeneration(chat.streamUrl)
    expect(closed).toBe(true)
    expect(chunks).toEqual([
      { type: "start", messageId: chat.messageId },
      { type: "text-start", id: "t" },
      { type: "text-delta", id: "t", delta: "Hel" },
      { type: "error", errorText: "generation failed: socket hang up" },
    ])
  })

  it("hides the source's error behind a generic text by default", async () => {
    const source = controlledSource()
    const chat = await startChatStream({ stream: source.stream, streamUrl: server.streamUrl() })
    source.controller.error(new Error("api key sk-123 rejected"))
    await chat.done
    expect((await storedGeneration(chat.streamUrl)).chunks).toEqual([{ type: "error", errorText: "An error occurred." }])
  })

  it("is stopped by its signal: the source is cancelled, an abort chunk is stored and the stream closed", async () => {
    const source = controlledSource()
    const stop = new AbortController()
    const chat = await startChatStream({ stream: source.stream, streamUrl: server.streamUrl(), signal: stop.signal })
    source.controller.enqueue({ type: "start" })
    source.controller.enqueue({ type: "text-start", id: "t" })
    await eventsArrived(chat.response().body!, 2)
    stop.abort("stopped by the user")
    expect(await chat.done).toMatchObject({ outcome: "aborted", chunks: 3 })
    expect(source.cancelled()).toBe("stopped by the user")
    const { chunks, closed } = await storedGeneration(chat.streamUrl)
    expect(closed).toBe(true)
    expect(chunks.at(-1)).toEqual({ type: "abort", reason: "stopped by the user" })
  })

  it("stores the finish chunk atomically with the close, even when the source ends long after it", async () => {
    const source = controlledSource()
    const chat = await startChatStream({ stream: source.stream, streamUrl: server.streamUrl() })
    source.controller.enqueue({ type: "start" })
    source.controller.enqueue({ type: "finish", finishReason: "stop" })
    // The finish is held back (the stream is not closed yet) until the source ends.
    await waitFor(() => true, "a turn")
    source.controller.close()
    const result = await chat.done
    const { chunks, closed } = await storedGeneration(chat.streamUrl)
    expect(closed).toBe(true)
    expect(chunks).toEqual([{ type: "start", messageId: chat.messageId }, { type: "finish", finishReason: "stop" }])
    expect(result).toEqual({ outcome: "finished", chunks: 2, offset: expect.any(String) })
  })

  it("fails done with the durable-stream error when the writes cannot be stored, and stops reading the model", async () => {
    const source = controlledSource()
    const url = server.streamUrl()
    const chat = await startChatStream({ stream: source.stream, streamUrl: url, retry: { maxRetries: 0 } })
    source.controller.enqueue({ type: "start" })
    await fetch(url, { method: "DELETE" })
    source.controller.enqueue({ type: "text-start", id: "t" })
    source.controller.enqueue({ type: "text-delta", id: "t", delta: "lost" })
    source.controller.close()
    const error = await chat.done.then(
      () => expect.fail("done should reject"),
      (caught: unknown) => caught
    )
    expect(isDurableStreamError(error)).toBe(true)
    expect(error).toMatchObject({ code: "NOT_FOUND" })
  })

  it("refuses a stream URL that already holds something: each generation needs its own", async () => {
    const url = server.streamUrl()
    await fetch(url, { method: "PUT", headers: { "content-type": "application/json" } })
    const source = controlledSource()
    await expect(startChatStream({ stream: source.stream, streamUrl: url })).rejects.toMatchObject({ code: "CONFLICT" })
    expect(source.cancelled()).not.toBe("not cancelled")
  })
})

describe("a chat route that fails", () => {
  it("reaches useChat as a typed error with the status and a redacted excerpt of the answer", async () => {
    const { transport, app } = await setup({ requireAuthorization: () => "Bearer right" })
    const chat = new Chat({ id: "unauthorized", transport: transport({ headers: { authorization: "Bearer wrong-token" } }) })
    await chat.sendMessage({ text: "hi" })
    expect(chat.status).toBe("error")
    expect(chat.error).toMatchObject({ code: "UNAUTHORIZED", status: 401, url: app.api })
    expect(chat.error?.message).toContain("bad token [redacted]")
    expect(chat.error?.message).not.toContain("wrong-token")
  })

  it("is a PROTOCOL_VIOLATION when the route does not name a stream (a route that was not converted)", async () => {
    const transport = new DurableChatTransport({
      api: "http://app.test/api/chat",
      store: memoryChatStreamStore(),
      fetch: async () => new Response("data: [DONE]\n\n", { headers: { "content-type": "text/event-stream" } }),
    })
    const chat = new Chat({ id: "no-header", transport })
    await chat.sendMessage({ text: "hi" })
    expect(chat.error).toMatchObject({ code: "PROTOCOL_VIOLATION" })
    expect(chat.error?.message).toContain("Durable-Stream-Url")
  })
})
