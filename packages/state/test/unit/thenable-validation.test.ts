/**
 * A schema whose validate() returns a thenable that is not a Promise is
 * async: its issues count and its output is the value (the JSON layer's one
 * validation path, shared by the state layer).
 */
import { describe, expect, it } from "vitest"
import { JsonStream, StateMessageError, StateWriter, createStateSchema, materialize } from "../../src/index"
import { FAKE_URL, pagedReadFetch, recordingAppendFetch } from "../support/fake-http"
import { ins } from "../support/messages"
import { checkObject, thenableSchema } from "../support/schemas"

const upperName = thenableSchema<{ id: string; name: string }>((value) => {
  const checked = checkObject({ id: "string", name: "string" })(value)
  return "issues" in checked ? checked : { value: { ...checked.value, name: checked.value.name.toUpperCase() } }
})
const schema = createStateSchema({ users: { type: "user", primaryKey: "id", schema: upperName } })

describe("a thenable-returning validator", () => {
  it("in materialize: refuses what it refuses and applies its output", async () => {
    const invalid: StateMessageError[] = []
    const view = materialize({
      url: FAKE_URL,
      fetch: pagedReadFetch([{ items: [ins("user", "1", { id: "1", name: "ada" }), ins("user", "2", { id: "2", name: 7 })] }]),
      live: false,
      schema,
      onInvalidMessage: (error) => invalid.push(error),
    })
    await view.done
    expect(view.state.get("user", "1")).toEqual({ id: "1", name: "ADA" })
    expect(view.state.has("user", "2")).toBe(false)
    expect(invalid.map((error) => [error.key, error.issues])).toEqual([
      ["2", [{ message: "expected string, got number", path: ["name"] }]],
    ])
  })

  it("in StateWriter: refuses before sending, and sends its output", async () => {
    const fetch = recordingAppendFetch()
    const writer = new StateWriter(new JsonStream({ url: FAKE_URL, fetch }), { schema, lingerMs: 0 })
    await expect(writer.write(ins("user", "2", { id: "2", name: 7 }))).rejects.toBeInstanceOf(StateMessageError)
    expect(fetch.posts).toBe(0)
    await writer.write(ins("user", "1", { id: "1", name: "ada" }))
    expect(fetch.messages).toMatchObject([{ key: "1", value: { id: "1", name: "ADA" } }])
  })
})
