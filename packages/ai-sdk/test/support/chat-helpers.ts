import type { UIMessage } from "ai"
import { JsonStream } from "@durable-client/json"

/** A stored chunk, loosely typed for assertions. */
export type UIMessageChunkLike = { type: string; [key: string]: unknown }

/** The text of a message's text parts, joined. */
export function textOf(message: UIMessage | undefined): string {
  return (message?.parts ?? []).map((part) => (part.type === "text" ? part.text : "")).join("")
}

/** The assistant messages of a chat. */
export function assistants(messages: readonly UIMessage[]): UIMessage[] {
  return messages.filter((message) => message.role === "assistant")
}

/** Everything stored in a generation's stream, and whether it is closed. */
export async function storedGeneration(url: string): Promise<{ chunks: UIMessageChunkLike[]; closed: boolean }> {
  const stream = new JsonStream<UIMessageChunkLike>({ url })
  const chunks = await stream.read().json()
  const { closed } = await stream.head()
  return { chunks, closed }
}
