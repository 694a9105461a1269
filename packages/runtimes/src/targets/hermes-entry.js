// The real Hermes engine (hermes-engine-cli) runs the built library, compiled
// the way Metro compiles it (React Native's Babel preset), with React
// Native's globals from hermes-prelude.js. The hermes command line has no
// network, so this is the offline part of the scenario: the library loads,
// and reads, materializes and queries through a fetch that answers from
// memory with React Native-shaped responses (complete, no `body`).
import "./hermes-prelude.js"
import * as lib from "@durable-client/collections"
import { describeError, resultLine } from "./report.js"
import { RNHeaders, RNResponse, Utf8TextDecoder } from "./react-native-globals.js"

const STREAM = "http://127.0.0.1:4437/v1/stream/hermes"
const user = (id, name, active) => ({ id, name, active })
const changes = [
  { type: "user", key: "u1", value: user("u1", "Grace", true), headers: { operation: "insert", txid: "t1" } },
  { type: "user", key: "u2", value: user("u2", "Alan", true), headers: { operation: "insert", txid: "t1" } },
  { type: "user", key: "u3", value: user("u3", "Barbara", false), headers: { operation: "insert", txid: "t1" } },
  { type: "user", key: "u2", value: user("u2", "Zuse ✓ 🚀", true), headers: { operation: "update", txid: "t2" } },
]
const decoder = new Utf8TextDecoder()

/** A closed JSON stream holding `changes`, and a sink for producer POSTs. */
function memoryFetch(log) {
  return async (input, init = {}) => {
    const url = String(input)
    const method = init.method ?? "GET"
    log.push(`${method} ${url.slice(STREAM.length) || "/"}`)
    const headers = new RNHeaders({ "content-type": "application/json", "stream-closed": "true" })
    if (!url.startsWith(STREAM)) throw new TypeError("Network request failed")
    if (method === "POST") {
      const items = JSON.parse(decoder.decode(init.body))
      headers.set("stream-next-offset", String(changes.length + items.length))
      headers.delete("stream-closed")
      return new RNResponse(new Uint8Array(0), { status: 200, statusText: "OK", headers, url }, () => "")
    }
    const offset = /[?&]offset=([^&]*)/.exec(url)?.[1] ?? "-1"
    const from = offset === "-1" ? 0 : Number(offset)
    headers.set("stream-next-offset", String(changes.length))
    headers.set("stream-up-to-date", "true")
    const body = JSON.stringify(changes.slice(from))
    const bytes = new TextEncoder().encode(method === "HEAD" ? "" : body)
    return new RNResponse(bytes, { status: 200, statusText: "OK", headers, url }, (b) => decoder.decode(b))
  }
}

function check(condition, message) {
  if (!condition) throw new Error(`smoke: ${message}`)
}

async function main() {
  const log = []
  const fetch = memoryFetch(log)
  const checks = []

  const stream = new lib.DurableStream({ url: STREAM, fetch })
  check(stream.url === STREAM, `DurableStream.url is ${stream.url}, expected ${STREAM} (React Native's URL class must not be used)`)
  checks.push("url")

  const json = new lib.JsonStream({ url: STREAM, fetch })
  const seen = []
  for await (const batch of json.read({ offset: "-1", live: false })) for (const item of batch.items) seen.push(item.key)
  check(seen.join(",") === "u1,u2,u3,u2", `for await over a JSON read gave ${seen.join(",")}`)
  const all = await json.read({ offset: "-1", live: false }).json()
  check(all.length === 4 && all[3].value.name === "Zuse ✓ 🚀", `read().json() gave ${JSON.stringify(all)}`)
  checks.push("for-await", "json")

  const schema = lib.createStateSchema({
    users: { type: "user", primaryKey: "id", schema: { "~standard": { version: 1, vendor: "smoke", validate: (value) => ({ value }) } } },
  })
  const materializer = lib.materialize({ url: STREAM, fetch, schema, live: false })
  await materializer.done
  const rows = [...materializer.state.entries("user")].map(([key, value]) => `${key}:${value.name}`).join(" ")
  check(rows === "u1:Grace u2:Zuse ✓ 🚀 u3:Barbara", `materialized ${rows}`)
  checks.push("materialize")

  const db = lib.createStreamDB({ url: STREAM, fetch, schema, live: false })
  await db.ready
  const active = db.collections.users.query({ where: { active: true }, orderBy: { name: "desc" } })
  const ids = active.current.map((row) => row.id).join(",")
  check(ids === "u2,u1", `live query rows are ${ids}, expected u2,u1`)
  active.dispose()
  await db.dispose()
  checks.push("stream-db", "query")

  const txid = lib.createTxid()
  check(/^[0-9a-f]{32}$/.test(txid), `createTxid() without crypto gave ${txid}`)
  checks.push("txid")

  const producer = new lib.IdempotentProducer(new lib.JsonStream({ url: STREAM, fetch, contentType: "application/json" }), "hermes", { lingerMs: 1 })
  const acks = [producer.append({ n: 1 }), producer.append({ n: 2 })]
  await producer.flush()
  check((await Promise.all(acks)).every((ack) => ack.duplicate === false), "producer acks")
  checks.push("producer")

  check(Utf8TextDecoder.calls > 0, "the TextDecoder polyfill was never used")
  return { checks, requests: log.length, engine: typeof globalThis.HermesInternal === "object" ? "hermes" : "not hermes" }
}

main().then(
  (result) => print(resultLine({ ok: true, result })),
  (error) => print(resultLine({ ok: false, error: describeError(error) }))
)
