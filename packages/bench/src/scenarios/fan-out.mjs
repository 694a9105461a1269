import { createStream, ours, rawAppend, reference, streamUrl } from "../clients.mjs"
import { settleHeap } from "../stats.mjs"

/**
 * Scenario 4: many idle live SSE readers of one stream. Heap per reader is
 * measured after all are connected and idle; then one append is timed until
 * every reader has it.
 */
export function fanOutScenario({ serverUrl, quick }) {
  const readers = quick ? 50 : 1000
  const open = {
    ours: (url, onMessage) => {
      const session = new ours.JsonStream({ url }).read({ offset: "now", live: "sse" })
      void session
        .forEach((batch) => {
          if (batch.items.length > 0) onMessage()
        })
        .catch(() => undefined)
      return () => session.cancel()
    },
    reference: (url, onMessage) => {
      const controller = new AbortController()
      let response
      reference
        .stream({ url, offset: "now", live: "sse", json: true, signal: controller.signal })
        .then((r) => {
          response = r
          r.subscribeJson((batch) => {
            if (batch.items.length > 0) onMessage()
          })
        })
        .catch(() => undefined)
      return () => {
        response?.cancel()
        controller.abort()
      }
    },
  }
  return {
    name: "Fan-out",
    detail: `${readers.toLocaleString("en")} idle live SSE readers`,
    contenders: ["ours", "reference"],
    async round(contender) {
      const url = streamUrl(serverUrl, `fanout-${contender}`)
      await createStream(url, "application/json")
      const before = settleHeap()
      let delivered = 0
      let allDelivered
      const done = new Promise((resolve) => (allDelivered = resolve))
      const stops = []
      for (let i = 0; i < readers; i++) {
        stops.push(
          open[contender](url, () => {
            if (++delivered === readers) allDelivered()
          })
        )
      }
      // Give every reader time to connect and go idle at the tail.
      await new Promise((resolve) => setTimeout(resolve, quick ? 1000 : 4000))
      const heapPerReader = (settleHeap() - before) / readers
      const start = performance.now()
      await rawAppend(url, JSON.stringify([{ hello: "everyone" }]), "application/json")
      await done
      const deliveryMs = performance.now() - start
      await Promise.all(stops.map((stop) => stop()))
      await new Promise((resolve) => setTimeout(resolve, 500))
      return { metrics: { "heap KB / idle reader": heapPerReader / 1024, "delivery to all, ms": deliveryMs } }
    },
    better: { "heap KB / idle reader": "lower", "delivery to all, ms": "lower" },
  }
}
