import { loadCachingProxy } from "../caching-proxy.mjs"
import { createStream, fillJson, ours, rawAppend, reference, streamUrl } from "../clients.mjs"
import { percentile } from "../stats.mjs"

/**
 * Scenario 4b: many readers of one stream behind a real cache (nginx with the
 * root README's configuration). Two phases per round, each on a new stream:
 *
 * - long-poll tail: N readers catch up from -1, then appends go one at a
 *   time, the next when every reader has the previous and a pause of 0–500 ms
 *   has passed (nginx wakes requests queued on its cache lock every 500 ms,
 *   so a fixed rhythm would always meet that timer at the same phase).
 *   Measures origin GETs per append (what the cache could not collapse) and
 *   append → delivery latency over every reader and message;
 * - SSE from -1: N readers of a stream with history; measures what the origin
 *   sent (all GET bodies) until every reader is up to date, and the SSE
 *   connections the origin then holds open.
 *
 * The writer is plain fetch straight to the origin, so only the reader differs.
 */
export function cdnScenario({ serverUrl, quick }) {
  const readers = quick ? 50 : 500
  const appends = quick ? 5 : 20
  const history = quick ? 1_000 : 5_000
  let proxy
  let skip
  // Reader failures of the running phase; every wait checks them.
  const failures = []

  const open = {
    ours: (url, live, handlers) => {
      const session = new ours.JsonStream({ url }).read({ offset: "-1", live })
      void session.forEach((batch) => handlers.onBatch(batch.items, batch.upToDate)).catch(handlers.onError)
      return () => session.cancel()
    },
    reference: (url, live, handlers) => {
      const controller = new AbortController()
      let response
      reference
        .stream({ url, offset: "-1", live, json: true, signal: controller.signal })
        .then((r) => {
          response = r
          // A reader that fails later rejects `closed`; unhandled, that would end the process.
          r.closed.catch(handlers.onError)
          r.subscribeJson((batch) => handlers.onBatch(batch.items, batch.upToDate))
        })
        .catch(handlers.onError)
      return () => {
        response?.cancel()
        controller.abort()
      }
    },
  }

  /**
   * Opens `readers` readers and resolves once all are up to date, with a
   * function that stops them all. A reader that fails fails the round.
   */
  async function openAll(contender, url, live, onItem) {
    let failed
    let stopping = false
    let upToDate = 0
    const stops = []
    for (let i = 0; i < readers; i++) {
      let caughtUp = false
      stops.push(
        open[contender](url, live, {
          onBatch(items, isUpToDate) {
            for (const item of items) onItem(item)
            if (isUpToDate && !caughtUp) {
              caughtUp = true
              upToDate++
            }
          },
          onError(error) {
            if (stopping || failed) return
            failed = new Error(`a ${contender} ${live} reader failed: ${describe(error)}`)
            failures.push(failed)
          },
        })
      )
    }
    await waitUntil(() => upToDate === readers, `${readers} ${contender} ${live} readers to catch up`)
    return async () => {
      stopping = true
      await Promise.all(stops.map((stop) => stop()))
    }
  }

  async function tailPhase(contender) {
    const url = streamUrl(serverUrl, `cdn-tail-${contender}`)
    await createStream(url, "application/json")
    await rawAppend(url, JSON.stringify([{ n: -1 }]), "application/json")
    const sentAt = []
    const delivered = []
    const latencies = []
    const stop = await openAll(contender, proxy.through(url), "long-poll", (item) => {
      if (item.n < 0) return
      latencies.push(performance.now() - sentAt[item.n])
      delivered[item.n] = (delivered[item.n] ?? 0) + 1
    })
    const gets = () => proxy.origin.select({ path: url, method: "GET" }).length
    const before = gets()
    const random = seededRandom(12)
    for (let n = 0; n < appends; n++) {
      await new Promise((resolve) => setTimeout(resolve, random() * 500))
      sentAt[n] = performance.now()
      await rawAppend(url, JSON.stringify([{ n }]), "application/json")
      await waitUntil(() => delivered[n] === readers, `message ${n} to reach all ${readers} readers`)
    }
    const perAppend = (gets() - before) / appends
    await stop()
    const extra = delivered.filter((count) => count !== readers)
    if (extra.length > 0) throw new Error(`${contender}: a message was delivered more or fewer times than there are readers`)
    return { perAppend, p50: percentile(latencies, 50), p99: percentile(latencies, 99) }
  }

  async function ssePhase(contender) {
    const url = streamUrl(serverUrl, `cdn-sse-${contender}`)
    await fillJson(url, history, (i) => ({ i, text: "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod" }))
    let items = 0
    const stop = await openAll(contender, proxy.through(url), "sse", () => items++)
    if (items !== readers * history) throw new Error(`${contender}: ${items} of ${readers * history} messages delivered`)
    // Up to date after the catch-up; the live connections open just after it.
    const openSse = () =>
      proxy.origin.select({ path: url, method: "GET", query: { live: "sse" } }).filter((request) => !request.done).length
    const connections = await settled(openSse)
    const bytes = proxy.origin.select({ path: url, method: "GET" }).reduce((sum, request) => sum + request.bytes, 0)
    await stop()
    return { bytes, connections }
  }

  async function waitUntil(condition, what, timeoutMs = 60_000) {
    const deadline = performance.now() + timeoutMs
    while (!condition()) {
      if (failures.length > 0) throw failures[0]
      if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
      await new Promise((resolve) => setTimeout(resolve, 2))
    }
  }

  return {
    name: "Behind a CDN",
    detail: `${readers.toLocaleString("en")} readers through nginx (README config): long-poll tail, ${appends} appends; SSE from -1 over ${history.toLocaleString("en")} messages`,
    contenders: ["ours", "reference"],
    async setup() {
      const module = await loadCachingProxy()
      if (!module.hasNginx()) {
        skip = module.NGINX_MISSING_MESSAGE
        process.stderr.write(`  ${skip}\n`)
        return
      }
      // The bench's server runs in its own process; the cache and its counter run here.
      proxy = await module.startCachingProxy({ origin: serverUrl })
    },
    async teardown() {
      await proxy?.stop()
    },
    async round(contender) {
      if (skip) return { metrics: {} }
      const tail = await tailPhase(contender)
      const sse = await ssePhase(contender)
      return {
        metrics: {
          "long-poll: origin GETs / append": tail.perAppend,
          "long-poll: delivery p50 ms": tail.p50,
          "long-poll: delivery p99 ms": tail.p99,
          "SSE from -1: origin MB": sse.bytes / 1e6,
          "SSE from -1: open origin connections": sse.connections,
        },
      }
    },
    better: {
      "long-poll: origin GETs / append": "lower",
      "long-poll: delivery p50 ms": "lower",
      "long-poll: delivery p99 ms": "lower",
      "SSE from -1: origin MB": "lower",
      "SSE from -1: open origin connections": "lower",
    },
  }
}



/** xorshift32: the same pauses in every run and for every contender. */
function seededRandom(seed) {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 0x1_0000_0000
  }
}

/** The value of `read()` once it has not changed for 500 ms (10 s at most). */
async function settled(read) {
  const deadline = performance.now() + 10_000
  let value = read()
  let since = performance.now()
  while (performance.now() - since < 500 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    const now = read()
    if (now !== value) {
      value = now
      since = performance.now()
    }
  }
  return value
}

/** An error with its causes, as one line (undici hides the socket error in `cause`). */
function describe(error) {
  const parts = []
  for (let e = error; e !== undefined && parts.length < 4; e = e?.cause) parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e))
  return parts.join(" ← ")
}
