// @ts-check
// A stand-in for a language model: turns a prompt into an answer and hands
// it out token by token at a steady pace, the way a model API streams.
import { IdempotentProducer } from "@durable-client/json"

/** @typedef {import("@durable-client/json").JsonStream<Token>} TokenStream */
/**
 * One message of a generation stream: the token's index and its text.
 * @typedef {{ i: number, t: string }} Token
 */

const PARAGRAPHS = [
  "Durable streams keep every token a model writes at an offset of its own, so a reader that drops off can come back and pick up exactly where it stopped.",
  "Nothing is sent twice and nothing goes missing: the writer's producer id, epoch and sequence numbers let the server drop a retried batch, and the reader's saved offset tells it where to go on.",
  "That is why a page can be reloaded in the middle of an answer — or closed on a café's flaky Wi-Fi — and still end up with the whole text, byte for byte. ✨",
]

/**
 * The full answer for a prompt. Deterministic, so a run can be compared
 * with what the page shows.
 * @param {string} prompt
 * @param {number} [paragraphs] how many canned paragraphs to use (1 to 3)
 */
export function answerFor(prompt, paragraphs = PARAGRAPHS.length) {
  const topic = prompt.trim().replace(/\s+/g, " ").slice(0, 80) || "durable streams"
  return [`You asked about “${topic}”.`, ...PARAGRAPHS.slice(0, paragraphs)].join("\n\n")
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
 * Writes `tokens` to the stream through an IdempotentProducer, one every
 * `intervalMs`, then closes the stream: the reader's sign that the answer
 * is complete.
 * @param {{ stream: TokenStream, tokens: string[], intervalMs: number, producerId: string, signal?: AbortSignal }} options
 */
export async function generate({ stream, tokens, intervalMs, producerId, signal }) {
  /** @type {IdempotentProducer<Token>} */
  const producer = new IdempotentProducer(stream, producerId, { lingerMs: 0, signal })
  const startedAt = performance.now()
  for (let i = 0; i < tokens.length; i++) {
    // Steady pace measured from the start, so slow appends don't stretch it.
    const due = startedAt + i * intervalMs
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait, signal)
    if (signal?.aborted) return
    // Fire and forget: the producer batches, orders and retries; failures
    // surface in flush()/close().
    void producer.append({ i, t: /** @type {string} */ (tokens[i]) }).catch(() => undefined)
  }
  await producer.close()
}

/**
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal?.addEventListener("abort", done, { once: true })
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener("abort", done)
      resolve()
    }
  })
}
