import { createStream, ours, rawAppend, streamUrl } from "../clients.mjs"
import { settleHeap } from "../stats.mjs"

const MiB = 1024 * 1024

/**
 * Scenario: a catch-up read of a large stream (200 MiB; 16 MiB with
 * --quick) in bounded memory. The stream lives under the server's capped
 * prefix ("/bench/large-", see server-process.mjs), so it comes in many
 * responses of at most 8 MiB, as from a production server. The reader
 * consumes each batch and drops it.
 *
 * After each response the heap is collected and measured (heap plus array
 * buffers, over the heap before the read): what the reader still holds
 * ("live"); a 5 ms sampler also records the peak with garbage included. A
 * reader that keeps what it handed out grows with the stream; one that lets
 * go stays within a few responses. "raw" is fetch + arrayBuffer (or +
 * JSON.parse) per response: the floor for holding one response.
 */
export function largeCatchUpScenario({ serverUrl, quick, format }) {
  const mib = quick ? 16 : 200
  const appendMiB = 2
  const json = format === "json"
  const contentType = json ? "application/json" : "application/octet-stream"
  let url
  let size = 0
  let messages = 0
  /** The largest response the server sends for this stream, in bytes (it caps them, so every reader gets the same). */
  let largest = 0

  /** Heap and array buffers now, after a full collection. */
  const live = () => {
    settleHeap()
    const usage = process.memoryUsage()
    return usage.heapUsed + usage.arrayBuffers
  }

  const contenders = {
    ours: async (onResponse) => {
      let bytes = 0
      if (json) {
        for await (const batch of new ours.JsonStream({ url }).read()) {
          bytes += batch.items.length
          onResponse()
        }
        return bytes
      }
      for await (const chunk of new ours.DurableStream({ url }).read()) {
        bytes += chunk.data.length
        onResponse()
      }
      return bytes
    },
    raw: async (onResponse) => {
      let offset = "-1"
      let total = 0
      for (;;) {
        const response = await fetch(`${url}?offset=${encodeURIComponent(offset)}`)
        total += json ? JSON.parse(await response.text()).length : (await response.arrayBuffer()).byteLength
        onResponse()
        offset = response.headers.get("stream-next-offset")
        if (response.headers.get("stream-up-to-date") === "true") return total
      }
    },
  }

  return {
    name: `Large catch-up (${format})`,
    detail: `${mib} MiB ${format} stream in responses of ≤ 8 MiB, each batch dropped once read`,
    contenders: ["ours", "raw"],
    async setup() {
      url = streamUrl(serverUrl, `large-${format}`)
      await createStream(url, contentType)
      for (let i = 0; i < mib / appendMiB; i++) {
        const body = json ? jsonBatch(appendMiB * MiB, i) : byteChunk(appendMiB * MiB, i)
        if (json) messages += body.count
        await rawAppend(url, json ? body.text : body, contentType)
        size += json ? body.text.length : body.length
      }
      let offset = "-1"
      for (;;) {
        const response = await fetch(`${url}?offset=${encodeURIComponent(offset)}`)
        largest = Math.max(largest, (await response.arrayBuffer()).byteLength)
        offset = response.headers.get("stream-next-offset")
        if (response.headers.get("stream-up-to-date") === "true") break
      }
    },
    async round(contender) {
      const baseline = live()
      let peak = 0
      // Also what the heap reaches between collections, garbage included: sampled every 5 ms and at each response.
      let sampledPeak = 0
      const sample = () => {
        const usage = process.memoryUsage()
        sampledPeak = Math.max(sampledPeak, usage.heapUsed + usage.arrayBuffers - baseline)
      }
      const sampler = setInterval(sample, 5)
      const onResponse = () => {
        sample()
        peak = Math.max(peak, live() - baseline)
      }
      const start = performance.now()
      let result
      try {
        result = await contenders[contender](onResponse)
      } finally {
        clearInterval(sampler)
      }
      const wallMs = performance.now() - start
      if (!json && result !== size) throw new Error(`${contender} read ${result} of ${size} bytes`)
      if (json && result !== messages) throw new Error(`${contender} read ${result} of ${messages} messages`)
      return {
        metrics: {
          "largest response MB": largest / 1e6,
          "peak live heap MB": peak / 1e6,
          "peak live heap ÷ largest response": peak / largest,
          "peak sampled heap MB": sampledPeak / 1e6,
          // With a full GC after every response: for scale, not a throughput figure.
          "MB/s (GC after each response)": size / 1e6 / (wallMs / 1000),
        },
      }
    },
    better: {
      "largest response MB": "lower",
      "peak live heap MB": "lower",
      "peak live heap ÷ largest response": "lower",
      "peak sampled heap MB": "lower",
      "MB/s (GC after each response)": "higher",
    },
  }
}

function byteChunk(length, seed) {
  const chunk = new Uint8Array(length)
  for (let i = 0; i < length; i++) chunk[i] = (i * 31 + seed) & 0xff
  return chunk
}

/** A JSON array of ~100-byte messages, about `length` bytes in all. */
function jsonBatch(length, seed) {
  const items = []
  let bytes = 2
  for (let i = 0; bytes < length - 200; i++) {
    const text = JSON.stringify({ i, seed, kind: "token", text: "lorem ipsum dolor sit amet consectetur adipiscing elit sed do" })
    items.push(text)
    bytes += text.length + 1
  }
  return { text: `[${items.join(",")}]`, count: items.length }
}
