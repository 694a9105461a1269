import { createStream, ours, rawAppend, reference, streamUrl } from "../clients.mjs"
import { percentile } from "../stats.mjs"

/**
 * Scenario 3: append → delivery to a live reader. The writer is plain fetch
 * for everyone, so only the reader differs. Appends go one at a time: the
 * next is sent when the previous was delivered. Raw is a bare fetch reader
 * in either live mode: the floor.
 */
export function liveLatencyScenario({ serverUrl, quick, live }) {
  const appends = quick ? 50 : 1000
  const readers = {
    ours: (url, onMessage) => {
      const session = new ours.JsonStream({ url }).read({ offset: "now", live })
      void session
        .forEach((batch) => {
          for (const item of batch.items) onMessage(item)
        })
        .catch(() => undefined)
      return () => session.cancel()
    },
    reference: (url, onMessage) => {
      const controller = new AbortController()
      let response
      reference
        .stream({ url, offset: "now", live, json: true, signal: controller.signal })
        .then((r) => {
          response = r
          r.subscribeJson((batch) => {
            for (const item of batch.items) onMessage(item)
          })
        })
        .catch(() => undefined)
      return () => {
        response?.cancel()
        controller.abort()
      }
    },
  }
  if (live === "long-poll") {
    readers.raw = (url, onMessage) => {
      const controller = new AbortController()
      void (async () => {
        let offset = "now"
        let cursor
        for (;;) {
          const query = `cursor=${cursor ?? ""}&live=long-poll&offset=${encodeURIComponent(offset)}`
          const response = await fetch(`${url}?${cursor === undefined ? query.slice(8) : query}`, { signal: controller.signal })
          const text = response.status === 204 ? "" : await response.text()
          offset = response.headers.get("stream-next-offset") ?? offset
          cursor = response.headers.get("stream-cursor") ?? cursor
          if (text) for (const item of JSON.parse(text)) onMessage(item)
        }
      })().catch(() => undefined)
      return () => controller.abort()
    }
  }
  if (live === "sse") {
    // The floor: one fetch of the SSE response and the least parsing that finds each `data` event.
    readers.raw = (url, onMessage) => {
      const controller = new AbortController()
      void (async () => {
        const response = await fetch(`${url}?offset=now&live=sse`, { signal: controller.signal })
        const decoder = new TextDecoder()
        let pending = ""
        for await (const chunk of response.body) {
          pending += decoder.decode(chunk, { stream: true })
          for (let end = pending.indexOf("\n\n"); end !== -1; end = pending.indexOf("\n\n")) {
            const lines = pending.slice(0, end).split("\n")
            pending = pending.slice(end + 2)
            if (lines[0] !== "event: data") continue
            const data = lines.filter((line) => line.startsWith("data:")).map((line) => line.slice(line[5] === " " ? 6 : 5))
            for (const item of JSON.parse(data.join("\n"))) onMessage(item)
          }
        }
      })().catch(() => undefined)
      return () => controller.abort()
    }
  }
  return {
    name: `Live latency (${live})`,
    detail: `${appends.toLocaleString("en")} sequential appends`,
    contenders: Object.keys(readers),
    async round(contender) {
      const url = streamUrl(serverUrl, `latency-${live}-${contender}`)
      await createStream(url, "application/json")
      let waiting
      const stop = readers[contender](url, (item) => waiting?.(item))
      // Let the reader reach the live tail before measuring.
      await new Promise((resolve) => setTimeout(resolve, 300))
      const latencies = []
      for (let n = 0; n < appends; n++) {
        const delivered = new Promise((resolve) => {
          waiting = (item) => {
            if (item.n === n) resolve()
          }
        })
        const sentAt = performance.now()
        await rawAppend(url, JSON.stringify([{ n }]), "application/json")
        await delivered
        latencies.push(performance.now() - sentAt)
      }
      await stop()
      return { metrics: { "p50 ms": percentile(latencies, 50), "p99 ms": percentile(latencies, 99) } }
    },
    better: { "p50 ms": "lower", "p99 ms": "lower" },
  }
}
