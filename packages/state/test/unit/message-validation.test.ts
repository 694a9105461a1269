import { describe, expect, it } from "vitest"
import { checkMessage } from "../../src/entity-validation"
import { assertStateMessage, describeInvalidMessage } from "../../src/message-validation"
import {
  StateMessageError,
  createStateSchema,
  isChangeMessage,
  isControlMessage,
  isDurableStreamError,
  type StateMessage,
} from "../../src/index"
import { control, del, ins, upd } from "../support/messages"
import { asyncObjectSchema, objectSchema, syncSchema } from "../support/schemas"

const URL = "http://example.test/v1/stream/app"

const schema = createStateSchema({
  users: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string", name: "string" }) },
  todos: { type: "todo", primaryKey: "id", schema: asyncObjectSchema({ id: "string", done: "boolean" }) },
  tags: {
    type: "tag",
    primaryKey: "id",
    // Transforms: trims the label and fills in a default colour.
    schema: syncSchema<{ id: string; label: string; colour: string }>((value) => {
      const v = value as { id?: unknown; label?: unknown; colour?: unknown }
      if (typeof v.label !== "string") return { issues: [{ message: "label is required", path: [{ key: "label" }] }] }
      return { value: { id: String(v.id), label: v.label.trim(), colour: typeof v.colour === "string" ? v.colour : "grey" } }
    }),
  },
})

function caught(run: () => unknown): StateMessageError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(StateMessageError)
    return error as StateMessageError
  }
  throw new Error("expected a StateMessageError")
}

async function rejected(promise: unknown): Promise<StateMessageError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(StateMessageError)
    return error as StateMessageError
  }
  throw new Error("expected a rejection with a StateMessageError")
}

describe("StateMessageError", () => {
  it("has its own name and is still recognised as an SDK error", () => {
    const error = caught(() => checkMessage(ins("user", "1", { id: 1 }), schema, URL, "0001"))
    expect(error.name).toBe("StateMessageError")
    expect(String(error)).toMatch(/^StateMessageError: /)
    expect(isDurableStreamError(error)).toBe(true)
  })
})

describe("message kinds", () => {
  it("tells change and control messages apart by their headers", () => {
    expect(isChangeMessage(ins("t", "k", 1))).toBe(true)
    expect(isControlMessage(ins("t", "k", 1))).toBe(false)
    expect(isControlMessage(control("reset"))).toBe(true)
    expect(isChangeMessage(control("reset"))).toBe(false)
    for (const junk of [null, undefined, 3, "x", {}, { headers: null }, { headers: "control" }]) {
      expect(isChangeMessage(junk)).toBe(false)
      expect(isControlMessage(junk)).toBe(false)
    }
  })
})

describe("describeInvalidMessage", () => {
  it("names the problem", () => {
    expect(describeInvalidMessage(42)).toMatch(/object/)
    expect(describeInvalidMessage({ type: "t", key: "k", value: 1 })).toMatch(/headers/)
    expect(describeInvalidMessage({ type: "t", key: "k", value: 1, headers: { operation: "upsert" } })).toMatch(/upsert/)
    expect(describeInvalidMessage({ headers: { control: "pause" } })).toMatch(/pause/)
    expect(describeInvalidMessage({ type: "t", key: "k", headers: { operation: "update" } })).toMatch(/value/)
    expect(describeInvalidMessage({ type: "t", key: "", value: 1, headers: { operation: "insert" } })).toMatch(/key/)
    expect(describeInvalidMessage({ type: 1, key: "k", value: 1, headers: { operation: "insert" } })).toMatch(/type/)
  })

  it("tolerates unknown fields, like the offset the reference server stamps on every message", () => {
    const stamped = { ...ins("t", "k", 1), headers: { operation: "insert", offset: "0000_7", txid: "a" }, extra: true }
    expect(describeInvalidMessage(stamped)).toBeUndefined()
    expect(describeInvalidMessage({ headers: { control: "snapshot-end", offset: "0000_9", note: "x" } })).toBeUndefined()
  })

  it("accepts RFC 3339 timestamps with offsets, fractions and a leap second at 23:59:60 UTC", () => {
    const at = (timestamp: string) => describeInvalidMessage({ ...del("t", "k"), headers: { operation: "delete", timestamp } })
    expect(at("2024-02-29T23:59:59.123456Z")).toBeUndefined()
    expect(at("2024-06-30t23:59:60z")).toBeUndefined()
    expect(at("2024-07-01T01:59:60+02:00")).toBeUndefined()
    expect(at("2024-07-01T01:59:60Z")).toBeDefined()
    expect(at("2024-07-01 01:00:00Z")).toBeDefined()
    expect(at("2024-07-01T01:00:00+0200")).toBeDefined()
  })
})

describe("StateMessageError", () => {
  it("is a VALIDATION error naming the stream, type, key and offset", () => {
    const error = caught(() => assertStateMessage({ type: "user", key: "u7", headers: { operation: "insert" } }, URL, "0000_42"))
    expect(isDurableStreamError(error)).toBe(true)
    expect(error.code).toBe("VALIDATION")
    expect(error.entityType).toBe("user")
    expect(error.key).toBe("u7")
    expect(error.offset).toBe("0000_42")
    expect(error.url).toBe(URL)
    for (const part of [URL, '"user"', '"u7"', "0000_42", "requires a value"]) expect(error.message).toContain(part)
  })

  it("leaves type and key undefined when the message has none", () => {
    const error = caught(() => assertStateMessage("not a message", URL, undefined))
    expect(error.entityType).toBeUndefined()
    expect(error.key).toBeUndefined()
    expect(error.issues).toEqual([])
  })

  it("assertStateMessage passes valid messages through", () => {
    expect(() => assertStateMessage(ins("user", "1", null), URL, "-1")).not.toThrow()
    expect(() => assertStateMessage(control("snapshot-start"), URL, "-1")).not.toThrow()
  })
})

describe("checkMessage with a schema", () => {
  it("refuses an entity type the schema does not declare", () => {
    const error = caught(() => checkMessage(ins("admin", "root", { id: "root" }), schema, URL, "0000_1"))
    expect(error.code).toBe("VALIDATION")
    expect(error.entityType).toBe("admin")
    expect(error.key).toBe("root")
    expect(error.message).toContain("not in the schema")
    // Also for deletes, which carry no value: the type alone is untrusted input.
    caught(() => checkMessage(del("admin", "root"), schema, URL, "0000_1"))
  })

  it("reports value schema failures with every issue's path", () => {
    const error = caught(() => checkMessage(upd("user", "u1", { id: 5, name: null }), schema, URL, "0000_3"))
    expect(error.entityType).toBe("user")
    expect(error.key).toBe("u1")
    expect(error.offset).toBe("0000_3")
    expect(error.issues).toEqual([
      { message: "expected string, got number", path: ["id"] },
      { message: "expected string, got object", path: ["name"] },
    ])
    expect(error.message).toContain("id: expected string")
    expect(error.message).toContain("name: expected string")
  })

  it("flattens Standard Schema path segments ({ key }) to plain keys", () => {
    const error = caught(() => checkMessage(ins("tag", "t1", { id: "t1" }), schema, URL, "0000_3"))
    expect(error.issues).toEqual([{ message: "label is required", path: ["label"] }])
  })

  it("uses the schema's output value (transforms and defaults)", () => {
    const checked = checkMessage(ins("tag", "t1", { id: "t1", label: "  urgent " }), schema, URL, "-1") as StateMessage
    expect(checked).toMatchObject({ value: { id: "t1", label: "urgent", colour: "grey" } })
  })

  it("stays synchronous for sync schemas and returns a promise for async ones", async () => {
    const sync = checkMessage(ins("user", "u1", { id: "u1", name: "Ada" }), schema, URL, "-1")
    expect(sync).not.toBeInstanceOf(Promise)
    const pending = checkMessage(ins("todo", "t1", { id: "t1", done: false }), schema, URL, "-1")
    expect(pending).toBeInstanceOf(Promise)
    await expect(pending).resolves.toMatchObject({ key: "t1", value: { id: "t1", done: false } })
  })

  it("rejects asynchronously for async schema failures, with type, key and issue paths", async () => {
    const error = await rejected(checkMessage(ins("todo", "t9", { id: "t9", done: "no" }), schema, URL, "0000_8"))
    expect(error.code).toBe("VALIDATION")
    expect(error.entityType).toBe("todo")
    expect(error.key).toBe("t9")
    expect(error.offset).toBe("0000_8")
    expect(error.issues).toEqual([{ message: "expected boolean, got string", path: ["done"] }])
  })

  it("does not validate delete values or control messages, and without a schema accepts any type", () => {
    expect(checkMessage(del("user", "u1"), schema, URL, "-1")).toEqual(del("user", "u1"))
    expect(checkMessage(control("reset"), schema, URL, "-1")).toEqual(control("reset"))
    expect(checkMessage(ins("anything", "k", "v"), undefined, URL, "-1")).toEqual(ins("anything", "k", "v"))
  })

  it("checks the protocol shape before the schema", () => {
    const error = caught(() => checkMessage({ type: "user", key: "u1", headers: { operation: "insert" } }, schema, URL, "-1"))
    expect(error.message).toContain("requires a value")
  })
})
