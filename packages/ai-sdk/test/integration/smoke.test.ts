import { Chat } from "@ai-sdk/react"
import { useReferenceServer, waitFor } from "@durable-client/testing/vitest"
import { afterEach, describe, expect, it } from "vitest"
import { DurableChatTransport, memoryChatStreamStore } from "../../src"
import { startChatApp, type ChatApp } from "../support/chat-app"
import { gatedModel } from "../support/mock-models"

const server = useReferenceServer()
let app: ChatApp | undefined
afterEach(async () => app?.stop())

describe("smoke", () => {
  it("sends", async () => {
    const gate = gatedModel("Hello there, this is a durable answer.")
    app = await startChatApp({ model: gate.model, streamsUrl: server.url })
    const transport = new DurableChatTransport({ api: app.api, store: memoryChatStreamStore() })
    const chat = new Chat({ id: "c1", transport })
    const sent = chat.sendMessage({ text: "hi" })
    await gate.started()
    gate.release(3)
    await waitFor(() => chat.messages.length === 2, "assistant message")
    gate.finish()
    await sent
    console.log(JSON.stringify(chat.messages, null, 1), chat.status, chat.error)
    expect(chat.messages[1]!.parts.find((p) => p.type === "text")).toMatchObject({ text: gate.tokens.join("") })
  })
})
