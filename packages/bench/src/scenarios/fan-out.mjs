import { createStream, ours, rawAppend, reference, streamUrl } from "../clients.mjs"
import { startServer } from "../server.mjs"
import { settleHeap } from "../stats.mjs"

/**
 * Scenario 4: many idle live readers of one stream, in one live mode. Heap
 * per reader is measured after all are connected and idle; then one append
 * is timed until every reader has it.
 *
 * "raw" is the floor: one bare fetch per reader holding the live request
 * and nothing else (SSE: the `live=sse` response with its body reader open;
 * long-poll: a `live=long-poll` GET at the tail, re-polled on each answer).
 * A client cannot hold less than the request it waits on.
 */
export function fanOutScenario({ quick, live }) {
  const readers = quick ? 50 : 500
  // Idle means idle: the catch-up GET's pooled keep-alive socket (undici
  // drops an unused one after 4 s) is gone before the heap is measured, and
  // no poll is being answered and reissued meanwhile (this scenario's own
  // server holds a long-poll for a minute, the shared one for 5 s).
  const settleMs = quick ? 1500 : 6000
  let server
  let serverUrl
  let tail
  const open = {
    ours: (url, onMessage) => {
      const session = new ours.JsonStream({ url }).read({ offset: "now", live })
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
        .stream({ url, offset: "now", live, json: true, signal: controller.signal })
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
    raw: (url, onMessage) => {
      const controller = new AbortController()
      const { signal } = controller
      const read = live === "sse" ? rawSse(url, signal, onMessage) : rawLongPoll(url, tail, signal, onMessage)
      void read.catch(() => undefined)
      return () => controller.abort()
    },
  }
  return {
    name: `Fan-out (${live})`,
    detail: `${readers.toLocaleString("en")} idle live ${live} readers`,
    // Setup compiles every contender's read path already, and no round's figure depends on speed.
    warmupRounds: 0,
    async setup() {
      server = await startServer({ BENCH_LONG_POLL_MS: "60000" })
      serverUrl = server.url
      // Compile every contender's read path first, so no round counts code as heap per reader.
      const url = streamUrl(serverUrl, `fanout-warm-${live}`)
      await createStream(url, "application/json")
      tail = await tailOffset(url)
      const stops = ["ours", "reference", "raw"].flatMap((contender) =>
        Array.from({ length: 20 }, () => open[contender](url, () => undefined))
      )
      await new Promise((resolve) => setTimeout(resolve, 500))
      await Promise.all(stops.map((stop) => stop()))
    },
    async teardown() {
      await server?.stop()
    },
    async round(contender) {
      const url = streamUrl(serverUrl, `fanout-${live}-${contender}`)
      await createStream(url, "application/json")
      tail = await tailOffset(url)
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
      await new Promise((resolve) => setTimeout(resolve, settleMs))
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

async function tailOffset(url) {
  const response = await fetch(url, { method: "HEAD" })
  return response.headers.get("stream-next-offset")
}

/** The SSE floor: the response and its body reader; a data event is a delivery. */
async function rawSse(url, signal, onMessage) {
  const response = await fetch(`${url}?live=sse&offset=now`, { signal })
  const reader = response.body.getReader()
  const decoder = new TextDecoder()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    if (/^event: ?data$/m.test(decoder.decode(value, { stream: true }))) onMessage()
  }
}

/** The long-poll floor: one GET at the tail, again after each answer. */
async function rawLongPoll(url, tail, signal, onMessage) {
  let offset = tail
  let cursor
  for (;;) {
    const query = `live=long-poll&offset=${encodeURIComponent(offset)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`
    const response = await fetch(`${url}?${query}`, { signal })
    const body = await response.text()
    offset = response.headers.get("stream-next-offset") ?? offset
    cursor = response.headers.get("stream-cursor") ?? cursor
    if (response.status === 200 && body.length > 2) onMessage()
  }
}
