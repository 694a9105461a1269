// @ts-check
import { DurableStream, isDurableStreamError } from "@durable-client/bytes"
import { show, sleep } from "../narrate.mjs"

/** @typedef {import("./index.mjs").TourContext} TourContext */
/** @typedef {import("../narrate.mjs").Narrator} Narrator */

export const title = "bytes: a durable byte stream (@durable-client/bytes)"

const decoder = new TextDecoder()

/** @param {TourContext} context */
export async function run({ narrator, streamUrl }) {
  const { step, say, check } = narrator
  const url = streamUrl("quickstart-bytes")
  // Everything this section writes, in order: the reference every check compares against.
  /** @type {string[]} */
  const written = []

  step("Create a stream")
  const stream = await DurableStream.create({ url, contentType: "text/plain" })
  say(`PUT ${url}`)
  say(`created=${stream.created}, content type ${stream.contentType}`)
  check(stream.created === true, "a new stream was created (201)")
  const again = await stream.create()
  check(again.created === false, "creating it again with the same settings changes nothing (200, created=false)")

  step("Append")
  for (const piece of ["hello, ", "durable ", "streams\n"]) {
    const { offset } = await stream.append(piece)
    written.push(piece)
    say(`append ${show(piece)} -> new tail offset ${offset}`)
  }

  step("Catch-up read")
  const catchUp = stream.read() // live: false, from the beginning ("-1")
  const history = await catchUp.text()
  say(`read from the beginning: ${show(history)}`)
  say(`the session's offset is now ${catchUp.offset}: save it to continue from here later`)
  check(history === written.join(""), "the read returned exactly what was appended")

  step("Live tail by SSE (appending while the reader tails)")
  const bySse = await tailWhileAppending({
    stream, live: "sse", from: catchUp.offset, pieces: ["tick 1\n", "tick 2\n", "tick 3\n"], say, written,
  })
  check(bySse.received === "tick 1\ntick 2\ntick 3\n", "the SSE reader saw each append, in order")

  step("Live tail by long-poll")
  const byLongPoll = await tailWhileAppending({
    stream, live: "long-poll", from: bySse.offset, pieces: ["tock 1\n", "tock 2\n"], say, written,
  })
  check(byLongPoll.received === "tock 1\ntock 2\n", "the long-poll reader saw each append, in order")

  step("Cancel, then resume from the saved offset")
  const first = stream.read({ live: "auto" })
  let seen = ""
  for await (const chunk of first) {
    seen += decoder.decode(chunk.data)
    // Stop after the first chunk, as a page being closed would.
    await first.cancel()
  }
  const saved = first.offset
  say(`took one chunk of ${seen.length} bytes, then cancel(); saved offset ${saved}`)
  for (const piece of ["written ", "while nobody ", "was reading\n"]) {
    await stream.append(piece)
    written.push(piece)
  }
  say("appended 3 more pieces while no reader was connected")
  const resumed = stream.read({ offset: saved })
  const rest = await resumed.text()
  say(`resumed from the saved offset: ${show(rest)}`)
  check(seen + rest === written.join(""), "first session + resumed session = everything written, nothing lost or repeated")

  step("Close: live readers reach end of stream")
  const eofReader = stream.read({ offset: resumed.offset, live: "sse" })
  const reading = (async () => {
    /** @type {import("@durable-client/bytes").StreamChunk | undefined} */
    let last
    for await (const chunk of eofReader) {
      if (chunk.data.length > 0) say(`<- ${show(chunk.data)} (closed=${chunk.closed})`)
      last = chunk
    }
    return last
  })()
  await sleep(100)
  const closed = await stream.close({ body: "goodbye\n" })
  written.push("goodbye\n")
  say(`close() with a last "goodbye" -> final offset ${closed.offset}`)
  const last = await reading
  say("the reader's for-await loop ended on its own")
  check(last?.closed === true && eofReader.closed, "iteration ended at EOF (closed=true)")
  try {
    await stream.append("too late")
    check(false, "an append after close is refused")
  } catch (error) {
    if (!isDurableStreamError(error)) throw error
    say(`append after close -> ${error.code}`)
    check(error.code === "STREAM_CLOSED", "an append after close is refused with STREAM_CLOSED")
  }
  check((await stream.read().text()) === written.join(""), "the whole stream reads back exactly as written")

  step("Delete")
  await stream.delete()
  say(`DELETE ${url}`)
  try {
    await stream.head()
    check(false, "HEAD after delete fails")
  } catch (error) {
    if (!isDurableStreamError(error)) throw error
    say(`HEAD -> ${error.code}: ${error.message}`)
    check(error.code === "NOT_FOUND", "HEAD after delete fails with NOT_FOUND")
  }
}

/**
 * Reads live from `from` while a writer appends `pieces`, narrating both
 * sides, until every piece has arrived; leaving the loop cancels the session.
 *
 * @param {{
 *   stream: DurableStream,
 *   live: "sse" | "long-poll",
 *   from: string,
 *   pieces: string[],
 *   say: Narrator["say"],
 *   written: string[],
 * }} options
 */
async function tailWhileAppending({ stream, live, from, pieces, say, written }) {
  const expected = pieces.join("")
  const session = stream.read({ offset: from, live })
  const writer = (async () => {
    for (const piece of pieces) {
      // Spaced out so each append visibly arrives on its own.
      await sleep(150)
      say(`-> append ${show(piece)}`)
      await stream.append(piece)
      written.push(piece)
    }
  })()
  let received = ""
  for await (const chunk of session) {
    if (chunk.data.length === 0) continue
    received += decoder.decode(chunk.data)
    say(`<- ${session.liveTransport} delivered ${show(chunk.data)}`)
    if (received.length >= expected.length) break
  }
  await writer
  return { received, offset: session.offset }
}
