import { describe, expect, it } from "vitest"
import {
  DurableStreamError,
  IdempotentProducer,
  JsonStream,
  StateMessageError,
  StateWriter,
  createStateSchema,
  type ChangeMessage,
} from "../../src/index"
import { FAKE_URL, recordingAppendFetch } from "../support/fake-http"
import { del, ins } from "../support/messages"
import { asyncObjectSchema, objectSchema, syncSchema } from "../support/schemas"

const schema = createStateSchema({
  users: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string", name: "string" }) },
  todos: { type: "todo", primaryKey: "id", schema: asyncObjectSchema({ id: "string", done: "boolean" }) },
  notes: {
    type: "note",
    primaryKey: "id",
    schema: syncSchema<{ id: string; text: string }>((value) => {
      const v = value as { id: string; text?: unknown }
      return { value: { id: v.id, text: typeof v.text === "string" ? v.text.trim() : "" } }
    }),
  },
})

function writerOver(options: { schema?: typeof schema } = {}) {
  const fetch = recordingAppendFetch()
  const json = new JsonStream({ url: FAKE_URL, fetch })
  const writer = new StateWriter(json, { producerId: "writer-1", lingerMs: 0, ...options })
  return { fetch, writer }
}

async function expectValidation(promise: Promise<unknown>): Promise<StateMessageError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(StateMessageError)
  expect((error as StateMessageError).code).toBe("VALIDATION")
  return error as StateMessageError
}

describe("StateWriter", () => {
  it("stamps one txid on every change of a write and returns it", async () => {
    const { fetch, writer } = writerOver()
    const result = await writer.write([ins("user", "1", { n: 1 }), ins("user", "2", { n: 2 }), del("user", "3")])
    expect(typeof result.txid).toBe("string")
    expect(result.txid.length).toBeGreaterThan(0)
    expect(fetch.messages).toHaveLength(3)
    for (const message of fetch.messages as ChangeMessage[]) expect(message.headers.txid).toBe(result.txid)
    // The rest of each change is sent as given, in order.
    expect((fetch.messages as ChangeMessage[]).map((m) => [m.type, m.key, m.headers.operation, m.value])).toEqual([
      ["user", "1", "insert", { n: 1 }],
      ["user", "2", "insert", { n: 2 }],
      ["user", "3", "delete", undefined],
    ])
    expect(result.offset).toBe("00000003")
  })

  it("uses a fresh txid per write, or the one passed in options", async () => {
    const { fetch, writer } = writerOver()
    const first = await writer.write(ins("user", "1", 1))
    const second = await writer.write(ins("user", "2", 2))
    const third = await writer.write(ins("user", "3", 3), { txid: "my-tx" })
    expect(first.txid).not.toBe(second.txid)
    expect(third.txid).toBe("my-tx")
    expect((fetch.messages as ChangeMessage[]).map((m) => m.headers.txid)).toEqual([first.txid, second.txid, "my-tx"])
  })

  it("stamps the txid only on change messages: a control message has no place for one", async () => {
    const { fetch, writer } = writerOver()
    const reset = { headers: { control: "reset" as const } }
    await writer.write([ins("user", "1", 1), reset as unknown as ChangeMessage], { txid: "t" })
    const [change, control] = fetch.messages as Array<{ headers: Record<string, unknown> }>
    expect(change!.headers.txid).toBe("t")
    expect(control!.headers).toEqual({ control: "reset" })
  })

  it("keeps a txid a change already carries", async () => {
    const { fetch, writer } = writerOver()
    const own = ins("user", "1", 1, "already-mine")
    const result = await writer.write([own, ins("user", "2", 2)], { txid: "batch" })
    expect((fetch.messages as ChangeMessage[]).map((m) => m.headers.txid)).toEqual(["already-mine", "batch"])
    expect(result.txid).toBe("batch")
    // The caller's object is not modified.
    expect(own.headers).toEqual({ operation: "insert", txid: "already-mine" })
  })

  it("accepts builder output directly", async () => {
    const { fetch, writer } = writerOver({ schema })
    await writer.write([schema.users.insert({ value: { id: "u1", name: "Ada" } }), schema.users.delete({ key: "u0" })])
    expect(fetch.messages).toMatchObject([
      { type: "user", key: "u1", value: { id: "u1", name: "Ada" } },
      { type: "user", key: "u0", headers: { operation: "delete" } },
    ])
  })

  it("validates values with the schema before sending: nothing is sent when one change fails", async () => {
    const { fetch, writer } = writerOver({ schema })
    const error = await expectValidation(
      writer.write([
        schema.users.insert({ value: { id: "u1", name: "Ada" } }),
        ins("user", "u2", { id: "u2", name: 7 }),
      ])
    )
    expect(error.entityType).toBe("user")
    expect(error.key).toBe("u2")
    expect(error.issues).toEqual([{ message: "expected string, got number", path: ["name"] }])
    await writer.flush()
    expect(fetch.posts).toBe(0)
    expect(fetch.messages).toEqual([])
  })

  it("validates with async schemas too", async () => {
    const { fetch, writer } = writerOver({ schema })
    const error = await expectValidation(writer.write([ins("todo", "t1", { id: "t1", done: "yes" })]))
    expect(error.issues[0]?.path).toEqual(["done"])
    expect(fetch.posts).toBe(0)
    await writer.write([ins("todo", "t1", { id: "t1", done: true })])
    expect(fetch.messages).toMatchObject([{ type: "todo", value: { id: "t1", done: true } }])
  })

  it("refuses a type the schema does not declare, before sending", async () => {
    const { fetch, writer } = writerOver({ schema })
    const error = await expectValidation(writer.write(ins("admin", "root", {})))
    expect(error.entityType).toBe("admin")
    expect(fetch.posts).toBe(0)
  })

  it("sends the schema's output value", async () => {
    const { fetch, writer } = writerOver({ schema })
    await writer.write(ins("note", "n1", { id: "n1", text: "  hello  " }))
    expect((fetch.messages[0] as ChangeMessage).value).toEqual({ id: "n1", text: "hello" })
  })

  it("refuses malformed changes even without a schema", async () => {
    const { fetch, writer } = writerOver()
    await expectValidation(writer.write({ type: "user", key: "", value: 1, headers: { operation: "insert" } }))
    await expectValidation(writer.write({ type: "user", key: "1", headers: { operation: "update" } } as ChangeMessage))
    await expectValidation(writer.write({ type: "user", key: "1", value: 1, headers: { operation: "upsert" } } as never))
    expect(fetch.posts).toBe(0)
  })

  it("rejects an empty write with INVALID_ARGUMENT", async () => {
    const { fetch, writer } = writerOver()
    const error = await writer.write([]).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DurableStreamError)
    expect((error as DurableStreamError).code).toBe("INVALID_ARGUMENT")
    expect((error as DurableStreamError).message).toContain(FAKE_URL)
    expect(fetch.posts).toBe(0)
  })

  it("can wrap an existing IdempotentProducer", async () => {
    const fetch = recordingAppendFetch()
    const producer = new IdempotentProducer(new JsonStream({ url: FAKE_URL, fetch }), "shared", { lingerMs: 0 })
    const writer = new StateWriter(producer)
    expect(writer.producer).toBe(producer)
    expect(writer.url).toBe(FAKE_URL)
    const { txid } = await writer.write(ins("user", "1", 1))
    expect((fetch.messages[0] as ChangeMessage).headers.txid).toBe(txid)
  })

  it("gives each writer its own random producer id unless one is given", () => {
    const fetch = recordingAppendFetch()
    const json = new JsonStream({ url: FAKE_URL, fetch })
    const a = new StateWriter(json)
    const b = new StateWriter(json)
    expect(a.producer.producerId).not.toBe(b.producer.producerId)
    expect(new StateWriter(json, { producerId: "fixed" }).producer.producerId).toBe("fixed")
  })
})
