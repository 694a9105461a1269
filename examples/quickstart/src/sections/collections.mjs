// @ts-check
import { JsonStream, createStateSchema, createStreamDB } from "@durable-client/collections"

/** @typedef {import("./index.mjs").TourContext} TourContext */
/** @typedef {{ id: string, text: string, done: boolean }} Todo */

export const title = "collections: live queries and optimistic actions (@durable-client/collections)"

const todoSchema = /** @type {import("@durable-client/collections").StandardSchemaV1<unknown, Todo>} */ ({
  "~standard": {
    version: 1,
    vendor: "quickstart",
    validate: (/** @type {any} */ value) =>
      typeof value?.id === "string" && typeof value?.text === "string" && typeof value?.done === "boolean"
        ? { value }
        : { issues: [{ message: "not a todo" }] },
  },
})

const schema = createStateSchema({ todos: { type: "todo", primaryKey: "id", schema: todoSchema } })

/** Each action says what to show at once (optimistic) and what to write; it settles when the stream echoes it. */
const actions = {
  add: {
    /** @param {any} draft @param {{ id: string, text: string }} args */
    optimistic: (draft, args) => draft.todos.insert({ ...args, done: false }),
    /** @param {{ id: string, text: string }} args @param {{ schema: typeof schema }} ctx */
    write: (args, ctx) => ctx.schema.todos.insert({ value: { ...args, done: false } }),
  },
  setDone: {
    /** @param {any} draft @param {{ todo: Todo, done: boolean }} args */
    optimistic: (draft, args) => draft.todos.update({ ...args.todo, done: args.done }),
    /** @param {{ todo: Todo, done: boolean }} args @param {{ schema: typeof schema }} ctx */
    write: (args, ctx) => ctx.schema.todos.update({ value: { ...args.todo, done: args.done } }),
  },
}

/** @param {TourContext} context */
export async function run({ narrator, streamUrl }) {
  const { step } = narrator
  const url = streamUrl("quickstart-todos")
  await JsonStream.create({ url })

  step("Open two StreamDBs on one stream (think: two browser windows)")
  const first = createStreamDB({ url, schema, actions })
  const second = createStreamDB({ url, schema, actions, live: "long-poll" })
  try {
    await Promise.all([first.ready, second.ready])
    await tour(narrator, first, second)
  } finally {
    await first.dispose()
    await second.dispose()
  }
}

/**
 * @param {import("../narrate.mjs").Narrator} narrator
 * @param {import("@durable-client/collections").StreamDB<typeof schema, typeof actions>} first
 * @param {import("@durable-client/collections").StreamDB<typeof schema, typeof actions>} second
 */
async function tour({ step, say, check }, first, second) {
  const open = second.collections.todos.query({ where: { done: false }, orderBy: "text" })
  /** @type {string[]} */
  const history = []
  open.subscribe((rows) => history.push(rows.map((todo) => todo.text).join(", ") || "(none)"))
  say("window 2 watches: todos where done = false, ordered by text")

  step("Run actions: optimistic at once, confirmed by the stream")
  const adding = first.actions.add({ id: "1", text: "water the plants" })
  say(`window 1 shows its new todo immediately: ${JSON.stringify(first.collections.todos.get("1")?.text)}`)
  check(first.collections.todos.has("1"), "the optimistic row is visible before the server answered")
  await adding
  await first.actions.add({ id: "2", text: "call a friend" })
  const plants = /** @type {Todo} */ (first.collections.todos.get("1"))
  await first.actions.setDone({ todo: plants, done: true })
  for (let waited = 0; open.current.length !== 1 && waited < 5000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  say(`window 2's live query over time: ${history.map((rows) => `[${rows}]`).join(" -> ")}`)
  check(open.current.length === 1 && open.current[0]?.text === "call a friend", "window 2's live query followed window 1's actions")
  open.dispose()
}
