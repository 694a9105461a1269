// @ts-check
import { IdempotentProducer, JsonStream, StateWriter, createStateSchema, materialize } from "@durable-client/state"
import { createMemoryOutbox } from "@durable-client/state/outbox"

/** @typedef {import("./index.mjs").TourContext} TourContext */

export const title = "forks and the outbox: branch a chat, fork a view, survive a crash"

/** @param {TourContext} context */
export async function run(context) {
  await branchAChat(context)
  await forkAView(context)
  await surviveACrash(context)
}

/**
 * Per-message positions: fork a conversation right before a message, without counting by hand.
 * @param {TourContext} context
 */
async function branchAChat({ narrator, streamUrl }) {
  const { step, say, check } = narrator
  step("Branch a chat right before a message (per-message positions)")
  /** @type {JsonStream<{ role: string; text: string }>} */
  const chat = await JsonStream.create({ url: streamUrl("quickstart-chat") })
  const { offset: afterQuestion } = await chat.append({ role: "user", text: "Name a durable thing." })
  await chat.appendMany(["A", "log", "of", "appends."].map((text) => ({ role: "assistant", text })))
  // A reader hands out { value, position }; a position is a fork point and a key.
  /** @type {import("@durable-client/json").MessagePosition | undefined} */
  let retryFrom
  for await (const { value, position } of chat.read({ offset: afterQuestion, live: false }).entries()) {
    if (value.text === "of") retryFrom = position
  }
  if (retryFrom === undefined) throw new Error("the reply was not read")
  say(`the reply's word "of" is at position ${retryFrom.key}`)
  const branch = await chat.fork({ url: streamUrl("quickstart-chat-retry"), at: retryFrom })
  await branch.appendMany(["an", "append-only", "stream."].map((text) => ({ role: "assistant", text })))
  const text = async (/** @type {JsonStream<{ text: string }>} */ stream) => (await stream.read().json()).map((m) => m.text).join(" ")
  say(`original: ${await text(chat)}`)
  say(`branch:   ${await text(branch)}`)
  check(
    (await text(branch)) === "Name a durable thing. A log an append-only stream." &&
      (await text(chat)) === "Name a durable thing. A log of appends.",
    "the branch shares the chat up to that message, then goes its own way"
  )
}

/** A hand-written Standard Schema (Zod, Valibot or ArkType plug in the same way). */
const todoSchema = /** @type {import("@durable-client/state").StandardSchemaV1<unknown, { id: string; title: string }>} */ ({
  "~standard": {
    version: 1,
    vendor: "quickstart",
    validate: (/** @type {any} */ value) =>
      typeof value?.id === "string" && typeof value?.title === "string" ? { value } : { issues: [{ message: "not a todo" }] },
  },
})

/**
 * The state layer: a view of a fork starts from a copy of the source view's state.
 * @param {TourContext} context
 */
async function forkAView({ narrator, streamUrl }) {
  const { step, say, check } = narrator
  step("Fork a materialized view: the fork's view reads only its own suffix")
  const schema = createStateSchema({ todos: { type: "todo", primaryKey: "id", schema: todoSchema } })
  const stream = await JsonStream.create({ url: streamUrl("quickstart-plan") })
  const writer = new StateWriter(stream, { schema, lingerMs: 1 })
  for (let i = 1; i <= 50; i++) void writer.write(schema.todos.insert({ value: { id: `t${i}`, title: `todo ${i}` } }))
  await writer.flush()
  const view = materialize({ stream, schema, live: false })
  await view.ready
  // The draft view follows its fork live (the source view only caught up once).
  const draft = await view.fork({ url: streamUrl("quickstart-plan-draft"), live: "auto" })
  await draft.ready
  const draftWriter = new StateWriter(await JsonStream.connect({ url: streamUrl("quickstart-plan-draft") }), { schema, lingerMs: 1 })
  const { txid } = await draftWriter.write(schema.todos.insert({ value: { id: "t51", title: "only in the draft" } }))
  await draft.awaitTxid(txid, { timeoutMs: 5000 })
  say(`source view: ${view.state.size("todo")} todos; draft view: ${draft.state.size("todo")} todos`)
  say(`the draft started at the fork point (${draft.startOffset === view.offset ? "the source view's offset" : draft.startOffset}) and applied ${draft.messagesApplied} message(s)`)
  check(
    draft.startOffset === view.offset && draft.messagesApplied === 1 && draft.state.size("todo") === 51 && view.state.size("todo") === 50,
    "the fork's view began from a copy of the source's state and read only the fork's suffix"
  )
  await Promise.all([draft.dispose(), view.dispose(), draftWriter.detach(), writer.detach()])
}

/**
 * The outbox: a batch whose answer never came is resent after a "reload", and stored once.
 * @param {TourContext} context
 */
async function surviveACrash({ narrator, streamUrl }) {
  const { step, say, check } = narrator
  step("Writes survive a crash: the producer's outbox")
  const url = streamUrl("quickstart-outbox")
  await JsonStream.create({ url })
  // In a browser: webStorageOutbox(localStorage), which outlives the page.
  const outbox = createMemoryOutbox()
  // The first "page" loses its connection: its request reaches the server, the answer never comes back.
  /** @type {() => void} */
  let requestStored = () => undefined
  const stored = new Promise((resolve) => (requestStored = () => resolve(undefined)))
  /** @type {typeof fetch} */
  const lostAnswers = async (input, init) => {
    if (init?.method !== "POST") return fetch(input, init)
    await fetch(input, init)
    requestStored()
    return new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true }))
  }
  const closing = new AbortController()
  const page1 = new IdempotentProducer(new JsonStream({ url, fetch: lostAnswers }), "notes-tab", { outbox, lingerMs: 1, signal: closing.signal })
  for (const note of ["buy milk", "call Ada"]) void page1.append(note).catch(() => undefined)
  await stored
  closing.abort() // the tab is closed before the answer arrives
  say("the tab closed before the answer came; the two notes wait in its outbox")

  // The "reloaded page": same producer id, same outbox. The pending batch goes first, under its own
  // (epoch, seq), so the server's dedupe recognises it: exactly once, not twice.
  const page2 = new IdempotentProducer(await JsonStream.connect({ url }), "notes-tab", { outbox, lingerMs: 1 })
  await page2.append("water plants")
  await page2.flush()
  const notes = await (await JsonStream.connect({ url })).read().json()
  say(`after the reload the stream holds: ${JSON.stringify(notes)}`)
  check(
    JSON.stringify(notes) === JSON.stringify(["buy milk", "call Ada", "water plants"]),
    "each note is stored exactly once, in order"
  )
  await page2.detach()
}
