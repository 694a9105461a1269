// @ts-check
import { IdempotentProducer, JsonStream } from "@durable-client/json"

/** @typedef {import("./index.mjs").TourContext} TourContext */

export const title = "json: messages, written exactly once (@durable-client/json)"

/** @param {TourContext} context */
export async function run({ narrator, streamUrl }) {
  const { step, say, check } = narrator
  const url = streamUrl("quickstart-tokens")

  step("Create a JSON stream and tail it live")
  const stream = await JsonStream.create({ url })
  say(`PUT ${url} (application/json)`)
  /** @type {unknown[]} */
  const tailed = []
  const tail = stream.read({ live: "auto" })
  const tailing = tail.forEach((batch) => {
    tailed.push(...batch.items)
  })

  step("Write tokens through an IdempotentProducer")
  // Every batch carries Producer-Id/Epoch/Seq, so retries after a lost
  // response are deduplicated by the server: exactly once, not at least once.
  const producer = new IdempotentProducer(stream, "quickstart-llm", { lingerMs: 2 })
  const tokens = "Durable streams make every token survive a refresh .".split(" ")
  for (const [index, token] of tokens.entries()) producer.append({ index, token })
  producer.append(["an", "array", "value", "stays", "one", "message"])
  await producer.flush()
  say(`appended ${tokens.length + 1} messages, flushed: epoch ${producer.epoch}, next seq ${producer.nextSeq}`)

  step("The live reader sees each message once, in order")
  for (let waited = 0; tailed.length < tokens.length + 1 && waited < 5000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  say(`live by ${tail.liveTransport}: ${tailed.length} messages`)
  const text = tailed.slice(0, tokens.length).map((message) => /** @type {{ token: string }} */ (message).token).join(" ")
  say(`tokens: ${JSON.stringify(text)}`)
  check(text === tokens.join(" "), "every token arrived exactly once, in order")
  check(JSON.stringify(tailed.at(-1)) === JSON.stringify(["an", "array", "value", "stays", "one", "message"]), "an array value is one message")

  step("Close with a final message")
  await producer.close({ done: true })
  await tailing
  say(`the tail ended at EOF with ${tailed.length} messages`)
  check(tail.closed && JSON.stringify(tailed.at(-1)) === JSON.stringify({ done: true }), "the final message came last and the stream is closed")
}
