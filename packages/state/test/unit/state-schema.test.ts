import { describe, expect, expectTypeOf, it } from "vitest"
import { DurableStreamError, createStateSchema, entityForType, type ChangeMessage } from "../../src/index"
import { asyncObjectSchema, objectSchema } from "../support/schemas"

const schema = createStateSchema({
  users: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string", name: "string" }) },
  todos: { type: "todo", primaryKey: "n", schema: asyncObjectSchema({ n: "number", title: "string" }) },
})

function invalidArgument(run: () => unknown): DurableStreamError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(DurableStreamError)
    expect((error as DurableStreamError).code).toBe("INVALID_ARGUMENT")
    return error as DurableStreamError
  }
  throw new Error("expected an INVALID_ARGUMENT error")
}

describe("createStateSchema", () => {
  it("exposes one helper object per collection with its type, primary key and schema", () => {
    expect(schema.users.name).toBe("users")
    expect(schema.users.type).toBe("user")
    expect(schema.users.primaryKey).toBe("id")
    expect(schema.todos.type).toBe("todo")
    expect(typeof schema.todos.schema["~standard"].validate).toBe("function")
  })

  it("finds helpers by wire type, and nothing for an unknown type", () => {
    expect(entityForType(schema, "user")).toBe(schema.users)
    expect(entityForType(schema, "todo")).toBe(schema.todos)
    expect(entityForType(schema, "users")).toBeUndefined()
    expect(entityForType(schema, "admin")).toBeUndefined()
  })

  it("refuses two collections with the same wire type, naming both", () => {
    const error = invalidArgument(() =>
      createStateSchema({
        people: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string" }) },
        accounts: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string" }) },
      })
    )
    expect(error.message).toContain("people")
    expect(error.message).toContain("accounts")
    expect(error.message).toContain('"user"')
  })

  it("refuses a missing or empty primaryKey", () => {
    const missing = invalidArgument(() =>
      createStateSchema({ users: { type: "user", schema: objectSchema({ id: "string" }) } as never })
    )
    expect(missing.message).toContain("users.primaryKey")
    invalidArgument(() => createStateSchema({ users: { type: "user", primaryKey: "", schema: objectSchema({}) } }))
  })

  it("refuses a missing or empty type", () => {
    const error = invalidArgument(() =>
      createStateSchema({ users: { type: "", primaryKey: "id", schema: objectSchema({}) } })
    )
    expect(error.message).toContain("users.type")
    invalidArgument(() => createStateSchema({ users: { primaryKey: "id", schema: objectSchema({}) } as never }))
  })

  it("refuses a schema that is not a Standard Schema", () => {
    const notStandard = [undefined, {}, { "~standard": {} }, { "~standard": { validate: "nope" } }, { parse: () => 1 }]
    for (const bad of notStandard) {
      const error = invalidArgument(() =>
        createStateSchema({ users: { type: "user", primaryKey: "id", schema: bad as never } })
      )
      expect(error.message).toContain("users.schema")
      expect(error.message).toContain("Standard Schema")
    }
  })

  it("refuses a definition that is not an object", () => {
    invalidArgument(() => createStateSchema(null as never))
    invalidArgument(() => createStateSchema({ users: null } as never))
  })

  it("infers value types from each schema", () => {
    expectTypeOf(schema.users.insert).parameter(0).toHaveProperty("value").toEqualTypeOf<{ id: string; name: string }>()
    expectTypeOf(schema.todos.insert({ value: { n: 1, title: "t" } }).value).toEqualTypeOf<
      { n: number; title: string } | undefined
    >()
    // @ts-expect-error a todo needs a number primary key field
    expect(() => schema.todos.insert({ value: { n: "1", title: "t" } })).not.toThrow()
  })
})

describe("builders", () => {
  const ada = { id: "u1", name: "Ada" }

  it("insert: type, key from the primary key, the value, and only an operation header", () => {
    const message = schema.users.insert({ value: ada })
    expect(message).toEqual({ type: "user", key: "u1", value: ada, headers: { operation: "insert" } })
    expect(Object.keys(message).sort()).toEqual(["headers", "key", "type", "value"])
  })

  it("update: carries old_value only when given", () => {
    expect(schema.users.update({ value: ada })).toEqual({
      type: "user",
      key: "u1",
      value: ada,
      headers: { operation: "update" },
    })
    const withOld = schema.users.update({ value: ada, oldValue: { id: "u1", name: "A" } })
    expect(withOld.old_value).toEqual({ id: "u1", name: "A" })
  })

  it("delete by key and by value give the same message, without a value", () => {
    const byKey = schema.users.delete({ key: "u1" })
    const byValue = schema.users.delete({ value: ada })
    expect(byKey).toEqual({ type: "user", key: "u1", headers: { operation: "delete" } })
    expect(byValue).toEqual(byKey)
    expect("value" in byKey).toBe(false)
    expect(schema.users.delete({ key: "u1", oldValue: ada }).old_value).toEqual(ada)
  })

  it("stringifies numeric keys, both from values and in delete", () => {
    expect(schema.todos.insert({ value: { n: 42, title: "x" } }).key).toBe("42")
    expect(schema.todos.delete({ key: 42 }).key).toBe("42")
    expect(schema.todos.delete({ key: 0 }).key).toBe("0")
    expect(schema.todos.keyOf({ n: 7, title: "" })).toBe("7")
  })

  it("refuses a value without a usable primary key, naming the collection and field", () => {
    const error = invalidArgument(() => schema.users.insert({ value: { name: "no id" } as never }))
    expect(error.message).toContain("users")
    expect(error.message).toContain('"id"')
    invalidArgument(() => schema.users.update({ value: { id: "", name: "empty id" } }))
    invalidArgument(() => schema.users.insert({ value: { id: { nested: true }, name: "x" } as never }))
    invalidArgument(() => schema.users.delete({ value: null as never }))
    invalidArgument(() => schema.users.delete({ key: "" }))
  })

  it("stamps txid and timestamp headers; a Date becomes an ISO string", () => {
    const at = new Date(Date.UTC(2024, 4, 17, 8, 30, 15, 250))
    const inserted = schema.users.insert({ value: ada, txid: "tx-1", timestamp: at })
    expect(inserted.headers).toEqual({ operation: "insert", txid: "tx-1", timestamp: "2024-05-17T08:30:15.250Z" })
    const updated = schema.users.update({ value: ada, timestamp: "2024-05-17T10:30:15+02:00" })
    expect(updated.headers).toEqual({ operation: "update", timestamp: "2024-05-17T10:30:15+02:00" })
    const deleted = schema.users.delete({ key: "u1", txid: "tx-2" })
    expect(deleted.headers).toEqual({ operation: "delete", txid: "tx-2" })
  })

  it("never adds extension fields such as headers.offset", () => {
    const messages: ChangeMessage[] = [
      schema.users.insert({ value: ada, txid: "t", timestamp: new Date(0) }),
      schema.users.update({ value: ada, oldValue: ada, txid: "t" }),
      schema.users.delete({ key: "u1", oldValue: ada, txid: "t", timestamp: new Date(0) }),
    ]
    for (const message of messages) {
      for (const field of Object.keys(message)) expect(["type", "key", "value", "old_value", "headers"]).toContain(field)
      for (const field of Object.keys(message.headers)) expect(["operation", "txid", "timestamp"]).toContain(field)
    }
  })

  it("refuses an empty txid or a timestamp that is not an RFC 3339 date-time", () => {
    invalidArgument(() => schema.users.insert({ value: ada, txid: "" }))
    invalidArgument(() => schema.users.insert({ value: ada, timestamp: "yesterday" }))
    invalidArgument(() => schema.users.update({ value: ada, timestamp: "2024-02-30T00:00:00Z" }))
    invalidArgument(() => schema.users.delete({ key: "u1", timestamp: new Date(Number.NaN) }))
    // Years past 9999 have no RFC 3339 form (toISOString gives "+010000-…").
    invalidArgument(() => schema.users.insert({ value: ada, timestamp: new Date("+010000-01-01T00:00:00Z") }))
  })

  it("keeps the value object as given (no copying, no validation at build time)", () => {
    const value = { id: "u2", name: "Grace" }
    expect(schema.users.insert({ value }).value).toBe(value)
  })
})
