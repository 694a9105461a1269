import { createStream, fillJson, message, ours, rawAppend, reference, streamUrl } from "../clients.mjs"
import { measure } from "../stats.mjs"

/** Scenario 2a: catch-up read of a JSON stream, parsed into messages. */
export function catchUpJsonScenario({ serverUrl, quick }) {
  const count = quick ? 10_000 : 100_000
  let url
  const contenders = {
    ours: async () => (await new ours.JsonStream({ url }).read().json()).length,
    reference: async () => {
      const response = await reference.stream({ url, offset: "-1", live: false, json: true })
      return (await response.json()).length
    },
    raw: async () => {
      let offset = "-1"
      let total = 0
      for (;;) {
        const response = await fetch(`${url}?offset=${encodeURIComponent(offset)}`)
        total += JSON.parse(await response.text()).length
        offset = response.headers.get("stream-next-offset")
        if (response.headers.get("stream-up-to-date") === "true") return total
      }
    },
  }
  return {
    name: "Catch-up read (JSON)",
    detail: `${count.toLocaleString("en")} messages`,
    // A round is a tenth of a second, most of it the server's: its time swings by a tenth from
    // one round to the next, so more of them than the default (they cost a few seconds).
    minRounds: 15,
    async setup() {
      url = streamUrl(serverUrl, "catchup-json")
      await fillJson(url, count, message)
    },
    async round(contender) {
      const { wallMs, result } = await measure(contenders[contender])
      if (result !== count) throw new Error(`${contender} read ${result} of ${count} messages`)
      return { metrics: { "messages/s": count / (wallMs / 1000) } }
    },
    better: { "messages/s": "higher" },
  }
}

/** Scenario 2b: catch-up read of a large byte stream. */
export function catchUpBytesScenario({ serverUrl, quick }) {
  const mib = quick ? 4 : 64
  const size = mib * 1024 * 1024
  let url
  const contenders = {
    ours: async () => (await new ours.DurableStream({ url }).read().bytes()).length,
    reference: async () => {
      const response = await reference.stream({ url, offset: "-1", live: false })
      return (await response.body()).length
    },
    raw: async () => {
      let offset = "-1"
      const parts = []
      let total = 0
      for (;;) {
        const response = await fetch(`${url}?offset=${encodeURIComponent(offset)}`)
        const part = new Uint8Array(await response.arrayBuffer())
        parts.push(part)
        total += part.length
        offset = response.headers.get("stream-next-offset")
        if (response.headers.get("stream-up-to-date") === "true") break
      }
      // Same deliverable as the clients: one contiguous buffer.
      const all = new Uint8Array(total)
      let at = 0
      for (const part of parts) {
        all.set(part, at)
        at += part.length
      }
      return all.length
    },
  }
  return {
    name: "Catch-up read (bytes)",
    detail: `${mib} MiB octet stream`,
    async setup() {
      url = streamUrl(serverUrl, "catchup-bytes")
      await createStream(url, "application/octet-stream")
      const chunk = new Uint8Array(1024 * 1024)
      for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff
      for (let i = 0; i < mib; i++) await rawAppend(url, chunk, "application/octet-stream")
    },
    async round(contender) {
      const { wallMs, result } = await measure(contenders[contender])
      if (result !== size) throw new Error(`${contender} read ${result} of ${size} bytes`)
      return { metrics: { "MB/s": size / 1e6 / (wallMs / 1000) } }
    },
    better: { "MB/s": "higher" },
  }
}
