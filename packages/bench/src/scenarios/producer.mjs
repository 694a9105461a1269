import { message, ours, reference, streamUrl, createStream, deleteStream, rawAppend } from "../clients.mjs"
import { measure } from "../stats.mjs"

const MiB = 1024 * 1024

/**
 * Scenario 1: JSON messages through each client's idempotent producer.
 *
 * Raw is the floor the issue names: the same messages in 1 MiB bodies built
 * before the clock starts, then sequential POSTs with plain fetch. A
 * producer is handed values, so it also pays for JSON.stringify and UTF-8
 * encoding; "raw, serialising" is that floor with the serialisation inside
 * the timing (the same bodies built as it goes, each POSTed when full), and
 * "serialise only" is what JSON.stringify + UTF-8 encoding of the messages
 * alone costs in this process. Those two rows show how much of the gap to
 * the pre-built floor no producer that takes values can close. "raw,
 * serialising, pipelined" builds the same bodies as it goes but keeps up to
 * five POSTs in flight (a producer's default window), in order (producer
 * headers; a body that overtakes an earlier one is sent again), giving the
 * event loop a turn after each so the body is written while the next one is
 * built: the most a producer taking values can make of the overlap.
 */
export function producerScenario({ serverUrl, quick }) {
  const count = quick ? 5_000 : 100_000
  const written = []
  // Each contender prepares outside the clock and returns what is timed.
  const contenders = {
    ours: async () => {
      const url = streamUrl(serverUrl, "produce-ours")
      const stream = await ours.JsonStream.create({ url })
      return async () => {
        const producer = new ours.IdempotentProducer(stream, "bench")
        for (let i = 0; i < count; i++) {
          producer.append(message(i))
          if (i % 1000 === 999) await producer.waitForCapacity()
        }
        await producer.flush()
        return url
      }
    },
    reference: async () => {
      const url = streamUrl(serverUrl, "produce-ref")
      const stream = await reference.DurableStream.create({ url, contentType: "application/json" })
      return async () => {
        const producer = new reference.IdempotentProducer(stream, "bench", { lingerMs: 5 })
        for (let i = 0; i < count; i++) producer.append(JSON.stringify(message(i)))
        await producer.flush()
        return url
      }
    },
    raw: async () => {
      const url = streamUrl(serverUrl, "produce-raw")
      await createStream(url, "application/json")
      const bodies = buildBodies(count)
      return async () => {
        for (const body of bodies) await rawAppend(url, body, "application/json")
        return url
      }
    },
  }
  return {
    name: "Producer throughput",
    // A round is a tenth of a second: the JIT is still compiling the first
    // few (ours took 200, 150, 100 ms before settling near 90), and the
    // other process moves the rest; so five uncounted rounds, and at least 21.
    warmupRounds: 5,
    minRounds: 21,
    // Each contender in a process of its own: see main.mjs, contenderProcess.
    isolate: true,
    detail: `${count.toLocaleString("en")} JSON messages of ~100 B; raw: 1 MiB bodies built before timing, sequential POSTs`,
    async round(contender) {
      // The in-memory server keeps every stream: without this, each round
      // would write into a heap the earlier rounds had grown (tens of MB),
      // and the server's garbage collection would slow the later rounds.
      await Promise.all(written.splice(0).map(deleteStream))
      const run = await contenders[contender]()
      const { wallMs, cpuMs, result: url } = await measure(run)
      const metrics = { "messages/s": count / (wallMs / 1000), "client CPU ms / 10k msgs": cpuMs / (count / 10_000) }
      if (contender === "ours") {
        // Ours always serialises: its figure stands against the serialising floor too.
        metrics["messages/s, values in (raw: serialising)"] = metrics["messages/s"]
        metrics["messages/s, values in (raw: serialising, pipelined)"] = metrics["messages/s"]
      }
      if (contender === "raw") {
        metrics["messages/s, values in (raw: serialising)"] = count / ((await rawSerialising(serverUrl, count)) / 1000)
        metrics["messages/s, values in (raw: serialising, pipelined)"] = count / ((await rawPipelined(serverUrl, count)) / 1000)
        metrics["serialise only ms (raw: JSON.stringify + UTF-8)"] = serialiseOnlyMs(count)
      }
      // Kept until the next round: the first round's is verified first.
      written.push(url)
      return { url, metrics }
    },
    async verify(url) {
      const items = await new ours.JsonStream({ url }).read().json()
      if (items.length !== count || items.some((item, i) => item.i !== i)) {
        throw new Error(`producer wrote ${items.length} of ${count} messages to ${url}, or out of order`)
      }
    },
    better: {
      "messages/s": "higher",
      "client CPU ms / 10k msgs": "lower",
      "messages/s, values in (raw: serialising)": "higher",
      "messages/s, values in (raw: serialising, pipelined)": "higher",
      "serialise only ms (raw: JSON.stringify + UTF-8)": "lower",
    },
  }
}

/** The messages as JSON array bodies of at most 1 MiB each (what a producer with 1 MiB batches sends). */
function buildBodies(count) {
  const encoder = new TextEncoder()
  const bodies = []
  let parts = []
  let size = 1
  for (let i = 0; i < count; i++) {
    const text = JSON.stringify(message(i))
    if (parts.length > 0 && size + text.length + 1 > MiB) {
      bodies.push(encoder.encode(`[${parts.join(",")}]`))
      parts = []
      size = 1
    }
    parts.push(text)
    size += text.length + 1
  }
  if (parts.length > 0) bodies.push(encoder.encode(`[${parts.join(",")}]`))
  return bodies
}

/** Serialises the messages into 1 MiB JSON array bodies as it goes, awaiting `send` with each one when it is full. */
async function sendSerialised(count, send) {
  const encoder = new TextEncoder()
  let parts = []
  let size = 1
  for (let i = 0; i < count; i++) {
    const text = JSON.stringify(message(i))
    if (parts.length > 0 && size + text.length + 1 > MiB) {
      await send(encoder.encode(`[${parts.join(",")}]`))
      parts = []
      size = 1
    }
    parts.push(text)
    size += text.length + 1
  }
  if (parts.length > 0) await send(encoder.encode(`[${parts.join(",")}]`))
}

/** Raw fetch given values: serialise into 1 MiB bodies as it goes, POST each when full, one at a time. */
async function rawSerialising(serverUrl, count) {
  const url = streamUrl(serverUrl, "produce-raw-values")
  await createStream(url, "application/json")
  const start = performance.now()
  await sendSerialised(count, (body) => rawAppend(url, body, "application/json"))
  const elapsed = performance.now() - start
  await deleteStream(url)
  return elapsed
}

/**
 * Raw fetch given values, pipelined and in order: each 1 MiB body POSTed
 * when full, up to 5 in flight, a turn of the event loop after each. Every
 * body carries Producer-Id/Epoch/Seq, as any producer that keeps the
 * messages in order must: a body that overtakes an earlier one on the wire
 * is answered 409 and sent again once the earlier one is stored. The
 * floor for a producer taking values, without per-message acknowledgement,
 * retries, deadlines or linger.
 */
async function rawPipelined(serverUrl, count) {
  const url = streamUrl(serverUrl, "produce-raw-pipelined")
  await createStream(url, "application/json")
  const start = performance.now()
  const inFlight = new Set()
  let seq = 0
  let previous = Promise.resolve()
  const post = async (body) => {
    const headers = { "content-type": "application/json", "Producer-Id": "raw", "Producer-Epoch": "0", "Producer-Seq": String(seq++) }
    const earlier = previous
    const send = async () => {
      for (;;) {
        const response = await fetch(url, { method: "POST", headers, body })
        await response.arrayBuffer()
        if (response.status === 200 || response.status === 204) return
        if (response.status !== 409) throw new Error(`append ${url}: ${response.status}`)
        await earlier
      }
    }
    const request = send().finally(() => inFlight.delete(request))
    previous = request
    inFlight.add(request)
    await new Promise((resolve) => setImmediate(resolve))
    while (inFlight.size >= 5) await Promise.race(inFlight)
  }
  await sendSerialised(count, post)
  await Promise.all(inFlight)
  const elapsed = performance.now() - start
  await deleteStream(url)
  return elapsed
}

/** JSON.stringify + UTF-8 encoding of the messages alone, no I/O: the least any producer taking values spends. */
function serialiseOnlyMs(count) {
  const start = performance.now()
  buildBodies(count)
  return performance.now() - start
}
