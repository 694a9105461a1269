// @ts-check
import { JsonStream, StateWriter, createStateSchema, materialize, memoryStorage } from "@durable-client/state"

/** @typedef {import("./index.mjs").TourContext} TourContext */

export const title = "state: a materialized view (@durable-client/state)"

/**
 * A hand-written Standard Schema, so the tour needs no schema library; Zod,
 * Valibot or ArkType schemas plug in the same way.
 * @param {(value: any) => boolean} isValid
 */
function schemaOf(isValid) {
  return /** @type {import("@durable-client/state").StandardSchemaV1<unknown, any>} */ ({
    "~standard": {
      version: 1,
      vendor: "quickstart",
      validate: (/** @type {unknown} */ value) => (isValid(value) ? { value } : { issues: [{ message: "not a valid row" }] }),
    },
  })
}

/** @param {TourContext} context */
export async function run({ narrator, streamUrl }) {
  const { step, say, check } = narrator
  const url = streamUrl("quickstart-presence")
  const schema = createStateSchema({
    users: { type: "user", primaryKey: "id", schema: schemaOf((v) => typeof v?.id === "string" && typeof v?.name === "string") },
  })
  const stream = await JsonStream.create({ url })

  step("Materialize the stream live, with checkpoints")
  const storage = memoryStorage()
  const view = materialize({ stream, schema, storage, checkpointIntervalMs: 10 })
  await view.ready
  /** @type {string[]} */
  const seen = []
  view.subscribe((changes) => {
    for (const change of changes) seen.push(`${change.operation} ${change.key}`)
  })

  step("Write insert/update/delete events; await their echo")
  const writer = new StateWriter(stream, { schema, lingerMs: 1 })
  await writer.write([schema.users.insert({ value: { id: "ada", name: "Ada" } }), schema.users.insert({ value: { id: "alan", name: "Alan" } })])
  await writer.write(schema.users.update({ value: { id: "ada", name: "Ada Lovelace" } }))
  const { txid } = await writer.write(schema.users.delete({ key: "alan" }))
  await view.awaitTxid(txid, { timeoutMs: 5000 })
  say(`changes seen live: ${seen.join(", ")}`)
  const ada = /** @type {{ name: string } | undefined} */ (view.state.get("user", "ada"))
  check(ada?.name === "Ada Lovelace" && !view.state.has("user", "alan"), "the view holds exactly what the events say")

  step("Restart from the checkpoint: only the new suffix is read")
  await view.dispose()
  await writer.write(schema.users.insert({ value: { id: "grace", name: "Grace" } }))
  const restored = materialize({ stream, schema, storage, live: false })
  await restored.done
  say(`restored from offset ${restored.startOffset}, applied ${restored.messagesApplied} new message(s)`)
  check(restored.messagesApplied === 1 && restored.state.size("user") === 2, "the restart replayed only what it had not seen")
  await writer.close()
}
