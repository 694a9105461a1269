// @ts-check
// The demo's language model: the AI SDK's own MockLanguageModelV4 (from
// `ai/test`), streaming a canned, deterministic answer token by token at a
// steady pace, the way a provider streams. No network, no API key.
import { simulateReadableStream } from "ai"
import { MockLanguageModelV4 } from "ai/test"

const PARAGRAPHS = [
  "Every chunk of this answer is written once into a durable stream, at an offset of its own, by an idempotent producer: a retried batch is dropped by the server instead of being stored twice.",
  "The page does not read the answer from the chat request. It reads the stream, so reloading in the middle of the answer only means reading the stream again — the model is not asked a second time.",
  "A second window on the same chat finds the same stream and follows it live, token by token, from the same bytes. ✨",
]

/**
 * The whole answer for a prompt. Deterministic, so a run can be compared
 * with what the page shows.
 * @param {string} prompt
 */
export function answerFor(prompt) {
  const topic = prompt.trim().replace(/\s+/g, " ").slice(0, 80) || "durable streams"
  return [`You asked: “${topic}”.`, ...PARAGRAPHS].join("\n\n")
}

/**
 * Splits text into model-like tokens: short pieces of words, each carrying
 * the whitespace before it. Joining the tokens gives the text back.
 * @param {string} text
 */
export function tokenize(text) {
  return text.match(/\s*[^\s]{1,4}|\s+$/gu) ?? []
}

/**
 * One part of a model's stream, as the provider specification types it.
 * @typedef {Awaited<ReturnType<MockLanguageModelV4["doStream"]>>["stream"] extends ReadableStream<infer P> ? P : never} StreamPart
 */

/**
 * @typedef {object} DemoModel
 * @property {MockLanguageModelV4} model
 * @property {string[]} prompts the prompt of every call, in order (one per generation)
 */

/**
 * @param {{ tokenIntervalMs: number, firstTokenMs?: number }} options
 * @returns {DemoModel}
 */
export function createDemoModel({ tokenIntervalMs, firstTokenMs = 250 }) {
  /** @type {string[]} */
  const prompts = []
  const model = new MockLanguageModelV4({
    doStream: async (call) => {
      const prompt = lastUserText(call.prompt)
      prompts.push(prompt)
      const tokens = tokenize(answerFor(prompt))
      /** @type {StreamPart[]} */
      const parts = [
        { type: "stream-start", warnings: [] },
        { type: "text-start", id: "answer" },
        ...tokens.map((delta) => ({ type: /** @type {const} */ ("text-delta"), id: "answer", delta })),
        { type: "text-end", id: "answer" },
        {
          type: "finish",
          finishReason: { unified: "stop", raw: "stop" },
          usage: {
            inputTokens: { total: tokenize(prompt).length, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
            outputTokens: { total: tokens.length, text: tokens.length, reasoning: undefined },
          },
        },
      ]
      return { stream: simulateReadableStream({ initialDelayInMs: firstTokenMs, chunkDelayInMs: tokenIntervalMs, chunks: parts }) }
    },
  })
  return { model, prompts }
}

/**
 * The text of the last user message of a model prompt.
 * @param {Array<{ role: string, content: unknown }>} prompt
 */
function lastUserText(prompt) {
  const user = prompt.filter((message) => message.role === "user").at(-1)
  if (!user || !Array.isArray(user.content)) return ""
  return user.content.map((part) => (part.type === "text" ? part.text : "")).join("")
}
