// The chat UI: useChat with DurableChatTransport. Everything durable is in
// the transport; this file is an ordinary useChat page.
import { useChat } from "@ai-sdk/react"
import { DurableChatTransport } from "@durable-client/ai-sdk"
import type { UIMessage } from "ai"
import { useEffect, useMemo, useState, type FormEvent } from "react"

/** What the page exposes on `window.aiChat`, for curious humans and the browser test. */
export interface AiChatDiagnostics {
  chatId: string
  status: string
  /** Roles of the messages on screen, in order. */
  roles: string[]
  /** Text of the last assistant message on screen. */
  answer: string
  /** Assistant messages on screen (one per answer: a replay must not add a second). */
  assistantMessages: number
  error: string | undefined
}

const diagnostics: AiChatDiagnostics = { chatId: "", status: "loading", roles: [], answer: "", assistantMessages: 0, error: undefined }
;(globalThis as unknown as { aiChat: AiChatDiagnostics }).aiChat = diagnostics

const textOf = (message: UIMessage) => message.parts.map((part) => (part.type === "text" ? part.text : "")).join("")

export function App({ id, initialMessages }: { id: string; initialMessages: UIMessage[] }) {
  // One transport for the page. Its store (localStorage by default) remembers
  // which stream holds each chat's latest answer, for resume after a reload.
  const transport = useMemo(() => new DurableChatTransport({ api: "/api/chat" }), [])
  const { messages, sendMessage, status, stop, error } = useChat({ id, messages: initialMessages, transport, resume: true })
  const [input, setInput] = useState("How does a reload not lose the answer?")

  const assistants = messages.filter((message) => message.role === "assistant")
  useEffect(() => {
    Object.assign(diagnostics, {
      chatId: id,
      status,
      roles: messages.map((message) => message.role),
      answer: assistants.length > 0 ? textOf(assistants[assistants.length - 1]!) : "",
      assistantMessages: assistants.length,
      error: error?.message,
    } satisfies AiChatDiagnostics)
  })

  function submit(event: FormEvent) {
    event.preventDefault()
    if (input.trim() === "") return
    void sendMessage({ text: input })
    setInput("")
  }

  const busy = status === "submitted" || status === "streaming"
  return (
    <main>
      <h1>AI chat</h1>
      <p className="muted">
        Chat <code>{id}</code>. Answers are written to durable streams: reload in the middle of one, or open this
        address in a second window, and the same answer carries on — the model is not asked again.
      </p>
      {messages.map((message) => (
        <div key={message.id} className={`message ${message.role}`} data-testid={`message-${message.role}`}>
          {textOf(message)}
        </div>
      ))}
      <form onSubmit={submit}>
        <input value={input} onChange={(event) => setInput(event.target.value)} aria-label="Message" data-testid="input" />
        {busy ? (
          <button type="button" onClick={() => void stop()} data-testid="stop">
            Stop reading
          </button>
        ) : (
          <button type="submit" data-testid="send">
            Send
          </button>
        )}
      </form>
      <p className="muted" data-testid="status">
        {status}
      </p>
      {error && <p className="error">{error.message}</p>}
    </main>
  )
}
