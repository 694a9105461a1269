import type { UIMessageChunk } from "ai"
import { encodeSseChunk, encodeSseDone } from "./chunks"
import { invalidArgument } from "@durable-client/json/internal"

/**
 * The copy of a generation that goes out in the chat response body, as the
 * AI SDK's SSE UI message stream. It never slows the durable writes: chunks
 * wait here until the body is opened and read, and when the reader goes
 * away (the browser closed the tab) they are dropped, while the writing to
 * the durable stream carries on.
 */
export class ResponseBranch {
  private readonly waiting: Uint8Array[] = []
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined
  private ended: { error?: unknown } | undefined
  private opened = false
  private cancelled = false

  push(chunk: UIMessageChunk): void {
    if (this.cancelled || this.ended) return
    const bytes = encodeSseChunk(chunk)
    if (this.controller) this.controller.enqueue(bytes)
    else this.waiting.push(bytes)
  }

  /** Ends the body: with `[DONE]` after a stored generation, or with the write failure. */
  end(error?: unknown): void {
    if (this.ended) return
    this.ended = error === undefined ? {} : { error }
    if (this.controller) this.finish(this.controller)
  }

  open(url: string): ReadableStream<Uint8Array> {
    if (this.opened) throw invalidArgument(url, "response() was already called: its body is the generation's one live copy")
    this.opened = true
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        for (const bytes of this.waiting.splice(0)) controller.enqueue(bytes)
        if (this.ended) this.finish(controller)
        else this.controller = controller
      },
      cancel: () => {
        this.cancelled = true
        this.controller = undefined
      },
    })
  }

  private finish(controller: ReadableStreamDefaultController<Uint8Array>): void {
    this.controller = undefined
    if (this.cancelled) return
    if (this.ended?.error !== undefined) controller.error(this.ended.error)
    else {
      controller.enqueue(encodeSseDone())
      controller.close()
    }
  }
}
