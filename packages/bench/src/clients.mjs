// The three contenders behind one small surface, so scenarios stay neutral.
import * as ours from "@durable-client/collections"
import * as reference from "@durable-streams/client"
import * as referenceState from "@durable-streams/state"
import * as referenceDb from "@durable-streams/state/db"

export { ours, reference, referenceDb, referenceState }

/** Raw fetch: create a stream. */
export async function createStream(url, contentType) {
  const response = await fetch(url, { method: "PUT", headers: { "content-type": contentType } })
  if (response.status !== 201 && response.status !== 200) throw new Error(`create ${url}: ${response.status}`)
}

/** Raw fetch: append one JSON batch (an array of messages) or bytes. */
export async function rawAppend(url, body, contentType) {
  const response = await fetch(url, { method: "POST", headers: { "content-type": contentType }, body })
  await response.arrayBuffer()
  if (response.status !== 204 && response.status !== 200) throw new Error(`append ${url}: ${response.status}`)
}

/** Deletes a stream (a scenario frees what its earlier rounds wrote). */
export async function deleteStream(url) {
  const response = await fetch(url, { method: "DELETE" })
  await response.arrayBuffer()
  if (response.status !== 204 && response.status !== 200) throw new Error(`delete ${url}: ${response.status}`)
}

/** Fills a JSON stream with `count` messages made by `make(i)`, 1000 per request. */
export async function fillJson(url, count, make) {
  await createStream(url, "application/json")
  for (let start = 0; start < count; start += 1000) {
    const batch = []
    for (let i = start; i < Math.min(count, start + 1000); i++) batch.push(make(i))
    await rawAppend(url, JSON.stringify(batch), "application/json")
  }
}

let counter = 0
export function streamUrl(serverUrl, name) {
  return `${serverUrl}/bench/${name}-${process.pid}-${++counter}`
}

/** ~100-byte message. */
export function message(i) {
  return { i, kind: "token", text: "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod" }
}
