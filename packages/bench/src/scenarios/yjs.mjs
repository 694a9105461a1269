// Yjs documents on a durable stream (@durable-client/yjs, ours only):
// opening a document of N updates cold and from a checkpoint, the wire size
// of an update against the raw Yjs update, and the framing we chose
// (length-prefixed binary) against the alternative (JSON mode, base64).
import { DurableYjsProvider, encodeFrame, FrameDecoder, memoryStorage } from "@durable-client/yjs"
import { Doc, encodeStateAsUpdate } from "yjs"
import { createStream, rawAppend, streamUrl } from "../clients.mjs"
import { measure } from "../stats.mjs"

const CONTENT_TYPE = "application/x-yjs-frames"

/** Someone typing: mostly inserts at the caret, a backspace now and then, a jump every line. */
function makeUpdates(count) {
  const doc = new Doc()
  // A fixed, typical client id (a random uint32 is usually a 5-byte varint), so sizes repeat run to run.
  doc.clientID = 2_654_435_769
  const text = doc.getText("text")
  const updates = []
  doc.on("update", (update) => updates.push(update))
  let caret = 0
  for (let i = 0; updates.length < count; i++) {
    if (i % 61 === 60) caret = Math.floor((caret * 7919) % (text.length + 1))
    if (i % 17 === 16 && caret > 0) {
      text.delete(caret - 1, 1)
      caret--
    } else {
      text.insert(caret, "abcdefghijklmnopqrstuvwxyz .\n"[i % 29])
      caret++
    }
  }
  return { updates, finalText: text.toString(), finalState: encodeStateAsUpdate(doc) }
}

/** A fetch that counts the body bytes of reads. */
function countingFetch() {
  const counter = {
    bytes: 0,
    fetch: async (input, init) => {
      const response = await fetch(input, init)
      if ((init?.method ?? "GET") !== "GET" || !response.body) return response
      const body = response.body.pipeThrough(
        new TransformStream({
          transform(chunk, controller) {
            counter.bytes += chunk.byteLength
            controller.enqueue(chunk)
          },
        })
      )
      return new Response(body, { status: response.status, headers: response.headers })
    },
  }
  return counter
}

async function open(url, options) {
  const counter = countingFetch()
  const provider = new DurableYjsProvider(new Doc(), { url, awareness: false, fetch: counter.fetch, ...options })
  const { wallMs } = await measure(() => provider.waitForSynced())
  const text = provider.doc.getText("text").toString()
  await provider.destroy()
  return { wallMs, text, bytes: counter.bytes }
}

function jsonBase64Size(updates) {
  // JSON mode: ["<base64>","<base64>",...]; each update costs its base64, two quotes and a comma.
  return JSON.stringify(updates.map((update) => Buffer.from(update).toString("base64"))).length
}

export function yjsScenario({ serverUrl, quick }) {
  const count = 10_000
  const suffix = 100
  const { updates, finalText, finalState } = makeUpdates(count + suffix)
  const history = updates.slice(0, count)
  const later = updates.slice(count)
  const rawBytes = history.reduce((sum, update) => sum + update.length, 0)
  const frames = history.map(encodeFrame)
  const framedBytes = frames.reduce((sum, frame) => sum + frame.length, 0)
  let url
  let saved
  const storageKey = "bench-doc"
  return {
    name: "Yjs document",
    detail: `${count.toLocaleString("en")} typing updates (+${suffix} after the checkpoint)`,
    contenders: ["ours"],
    async setup() {
      url = streamUrl(serverUrl, "yjs-doc")
      await createStream(url, CONTENT_TYPE)
      for (let i = 0; i < frames.length; i += 1000) await rawAppend(url, concat(frames.slice(i, i + 1000)), CONTENT_TYPE)
      // A checkpoint taken at the end of the history, then 100 more updates from someone else.
      const storage = memoryStorage()
      const writer = new DurableYjsProvider(new Doc(), { url, awareness: false, storage, storageKey })
      await writer.waitForSynced()
      await writer.checkpoint()
      await writer.destroy()
      // Kept aside: every round opens from this checkpoint (a reopened provider stores a newer one).
      saved = await storage.load(storageKey)
      await rawAppend(url, concat(later.map(encodeFrame)), CONTENT_TYPE)
    },
    async round() {
      const cold = await open(url, {})
      const storage = memoryStorage()
      storage.save(storageKey, saved)
      const warm = await open(url, { storage, storageKey })
      if (cold.text !== finalText || warm.text !== finalText) throw new Error("a reopened document does not hold the text written")

      // The framing, measured on the same updates: length-prefixed binary vs JSON mode with base64.
      const lp = await measure(async () => {
        const body = concat(history.map(encodeFrame))
        return new FrameDecoder().push(body).length
      })
      const json = await measure(async () => {
        const body = new TextEncoder().encode(JSON.stringify(history.map((update) => Buffer.from(update).toString("base64"))))
        return JSON.parse(new TextDecoder().decode(body)).map((text) => new Uint8Array(Buffer.from(text, "base64"))).length
      })
      if (lp.result !== count || json.result !== count) throw new Error("framing lost updates")
      return {
        metrics: {
          "open cold, ms": cold.wallMs,
          "open from checkpoint, ms": warm.wallMs,
          "read at cold open, KB": cold.bytes / 1024,
          "read from checkpoint, KB": warm.bytes / 1024,
          "wire bytes / update (framed)": framedBytes / count,
          "raw Yjs bytes / update": rawBytes / count,
          "JSON+base64 bytes / update": jsonBase64Size(history) / count,
          "frame+unframe 10k, ms (length-prefixed)": lp.wallMs,
          "frame+unframe 10k, ms (JSON+base64)": json.wallMs,
          "history KB (no compaction)": framedBytes / 1024,
          "compacted state KB": finalState.length / 1024,
        },
      }
    },
    better: {
      "open cold, ms": "lower",
      "open from checkpoint, ms": "lower",
      "read at cold open, KB": "lower",
      "read from checkpoint, KB": "lower",
      "wire bytes / update (framed)": "lower",
      "raw Yjs bytes / update": "lower",
      "JSON+base64 bytes / update": "lower",
      "frame+unframe 10k, ms (length-prefixed)": "lower",
      "frame+unframe 10k, ms (JSON+base64)": "lower",
      "history KB (no compaction)": "lower",
      "compacted state KB": "lower",
    },
  }
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}
