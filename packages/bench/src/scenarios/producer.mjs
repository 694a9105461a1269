import { message, ours, reference, streamUrl, createStream, rawAppend } from "../clients.mjs"
import { measure } from "../stats.mjs"

/** Scenario 1: JSON messages through each client's idempotent producer. */
export function producerScenario({ serverUrl, quick }) {
  const count = quick ? 5_000 : 100_000
  const contenders = {
    ours: async () => {
      const url = streamUrl(serverUrl, "produce-ours")
      const stream = await ours.JsonStream.create({ url })
      const producer = new ours.IdempotentProducer(stream, "bench")
      for (let i = 0; i < count; i++) {
        producer.append(message(i))
        if (i % 1000 === 999) await producer.waitForCapacity()
      }
      await producer.flush()
      return url
    },
    reference: async () => {
      const url = streamUrl(serverUrl, "produce-ref")
      const stream = await reference.DurableStream.create({ url, contentType: "application/json" })
      const producer = new reference.IdempotentProducer(stream, "bench", { lingerMs: 5 })
      for (let i = 0; i < count; i++) producer.append(JSON.stringify(message(i)))
      await producer.flush()
      return url
    },
    raw: async () => {
      // What plain fetch can do: JSON.stringify batches of 1000, one request at a time.
      const url = streamUrl(serverUrl, "produce-raw")
      await createStream(url, "application/json")
      for (let start = 0; start < count; start += 1000) {
        const batch = []
        for (let i = start; i < Math.min(count, start + 1000); i++) batch.push(message(i))
        await rawAppend(url, JSON.stringify(batch), "application/json")
      }
      return url
    },
  }
  return {
    name: "Producer throughput",
    detail: `${count.toLocaleString("en")} JSON messages of ~100 B`,
    async round(contender) {
      const { wallMs, cpuMs, result: url } = await measure(contenders[contender])
      return { url, metrics: { "messages/s": count / (wallMs / 1000), "client CPU ms / 10k msgs": cpuMs / (count / 10_000) } }
    },
    async verify(url) {
      const items = await new ours.JsonStream({ url }).read().json()
      if (items.length !== count || items.some((item, i) => item.i !== i)) {
        throw new Error(`producer wrote ${items.length} of ${count} messages to ${url}, or out of order`)
      }
    },
    better: { "messages/s": "higher", "client CPU ms / 10k msgs": "lower" },
  }
}
