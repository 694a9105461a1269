// Language models for tests, built on the AI SDK's own MockLanguageModelV4
// (from `ai/test`). No network; every token is known in advance.
import { MockLanguageModelV4 } from "ai/test"

/** The model's stream parts, as the provider spec types them (not exported by name from `ai`). */
type StreamPart = Awaited<ReturnType<MockLanguageModelV4["doStream"]>>["stream"] extends ReadableStream<infer P> ? P : never

const USAGE = {
  inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 0, text: 0, reasoning: undefined },
}

/** Splits text into small word pieces, each with the space before it; joined, they give the text back. */
export function tokenize(text: string): string[] {
  return text.match(/\s*[^\s]{1,4}|\s+$/gu) ?? []
}

export interface GatedModel {
  model: MockLanguageModelV4
  /** Times the model was asked to generate. */
  readonly calls: number
  /** Tokens of the answer, in order. */
  readonly tokens: readonly string[]
  /** Tokens released so far. */
  readonly released: number
  /** Lets the next `count` tokens out (the generation must have started). */
  release(count: number): void
  /** Lets every remaining token out and finishes the answer. */
  finish(): void
  /** Fails the generation mid-answer, as a provider connection would. */
  fail(error: Error): void
  /** Resolves when the model has been called `count` times. */
  started(count?: number): Promise<void>
  /** Finishes the answer if it is still open (test cleanup). */
  settle(): void
}

/**
 * A model whose tokens come out only when the test lets them: tests wait for
 * events, never for time.
 */
export function gatedModel(text: string): GatedModel {
  const tokens = tokenize(text)
  let controller: ReadableStreamDefaultController<StreamPart> | undefined
  let released = 0
  let ended = false
  const waiters: Array<{ count: number; resolve: () => void }> = []
  const model = new MockLanguageModelV4({
    doStream: async () => {
      const stream = new ReadableStream<StreamPart>({
        start(c) {
          controller = c
          c.enqueue({ type: "stream-start", warnings: [] })
          c.enqueue({ type: "text-start", id: "t0" })
        },
      })
      queueMicrotask(() => {
        for (const waiter of waiters.filter((w) => model.doStreamCalls.length >= w.count)) waiter.resolve()
      })
      return { stream }
    },
  })
  const gate: GatedModel = {
    model,
    get calls() {
      return model.doStreamCalls.length
    },
    tokens,
    get released() {
      return released
    },
    release(count) {
      if (!controller) throw new Error("the model has not been called yet")
      for (const token of tokens.slice(released, released + count)) {
        controller.enqueue({ type: "text-delta", id: "t0", delta: token })
      }
      released = Math.min(tokens.length, released + count)
    },
    finish() {
      gate.release(tokens.length)
      controller!.enqueue({ type: "text-end", id: "t0" })
      controller!.enqueue({ type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage: USAGE })
      controller!.close()
      ended = true
    },
    fail(error) {
      controller!.error(error)
      ended = true
    },
    settle() {
      if (controller && !ended) gate.finish()
    },
    started(count = 1) {
      if (model.doStreamCalls.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
  }
  return gate
}
