import fc from "fast-check"
import { describeInvalidMessage } from "../../src/message-validation"
import { describe, expect, it } from "vitest"
import {
  DurableStreamError,
  createStateSchema,
  type ChangeOptions,
  type StandardSchemaV1,
} from "../../src/index"
import { protocolErrors } from "../support/protocol-schema"
import { syncSchema } from "../support/schemas"

// Valid by hand, so the oracle itself is known to accept what the protocol allows.
const VALID: Array<[string, unknown]> = [
  ["insert", { type: "user", key: "1", value: { name: "Ada" }, headers: { operation: "insert" } }],
  ["insert of null", { type: "user", key: "1", value: null, headers: { operation: "insert" } }],
  ["update with old_value", { type: "user", key: "1", value: 2, old_value: 1, headers: { operation: "update" } }],
  ["delete without value", { type: "user", key: "1", headers: { operation: "delete" } }],
  ["delete with null value", { type: "user", key: "1", value: null, headers: { operation: "delete" } }],
  [
    "all headers",
    { type: "t", key: "k", value: [], headers: { operation: "insert", txid: "x", timestamp: "2024-01-02T03:04:05.678+01:00" } },
  ],
  ["snapshot-start", { headers: { control: "snapshot-start" } }],
  ["snapshot-end with offset", { headers: { control: "snapshot-end", offset: "0000_12" } }],
  ["reset", { headers: { control: "reset" } }],
]

// Each breaks exactly one rule.
const INVALID: Array<[string, unknown]> = [
  ["not an object", ["insert"]],
  ["null", null],
  ["no headers", { type: "user", key: "1", value: 1 }],
  ["headers not an object", { type: "user", key: "1", value: 1, headers: "insert" }],
  ["missing type", { key: "1", value: 1, headers: { operation: "insert" } }],
  ["empty type", { type: "", key: "1", value: 1, headers: { operation: "insert" } }],
  ["numeric key", { type: "user", key: 1, value: 1, headers: { operation: "insert" } }],
  ["empty key", { type: "user", key: "", value: 1, headers: { operation: "insert" } }],
  ["upsert (not in the enum)", { type: "user", key: "1", value: 1, headers: { operation: "upsert" } }],
  ["insert without value", { type: "user", key: "1", headers: { operation: "insert" } }],
  ["update without value", { type: "user", key: "1", headers: { operation: "update" } }],
  ["empty txid", { type: "user", key: "1", value: 1, headers: { operation: "insert", txid: "" } }],
  ["numeric txid", { type: "user", key: "1", value: 1, headers: { operation: "insert", txid: 5 } }],
  ["timestamp not a date", { type: "user", key: "1", value: 1, headers: { operation: "insert", timestamp: "yesterday" } }],
  ["timestamp without zone", { type: "u", key: "1", value: 1, headers: { operation: "insert", timestamp: "2024-01-02T03:04:05" } }],
  ["impossible date", { type: "u", key: "1", value: 1, headers: { operation: "insert", timestamp: "2023-02-29T00:00:00Z" } }],
  ["impossible time", { type: "u", key: "1", value: 1, headers: { operation: "insert", timestamp: "2024-01-01T24:00:00Z" } }],
  ["unknown control", { headers: { control: "checkpoint" } }],
  ["empty control offset", { headers: { control: "reset", offset: "" } }],
  ["both operation and control", { type: "u", key: "1", value: 1, headers: { operation: "insert", control: "reset" } }],
  ["neither operation nor control", { type: "u", key: "1", value: 1, headers: {} }],
]

// Closed-schema rules the client deliberately does not enforce on incoming messages.
const EXTENSIONS: Array<[string, unknown]> = [
  ["offset stamped on a change", { type: "u", key: "1", value: 1, headers: { operation: "insert", offset: "0000_3" } }],
  ["extra top-level field", { type: "u", key: "1", value: 1, headers: { operation: "insert" }, meta: {} }],
  ["extra control field", { headers: { control: "reset", reason: "compaction" } }],
]

describe("state-protocol.schema.json (the oracle)", () => {
  it.each(VALID)("accepts %s", (_, message) => {
    expect(protocolErrors(message)).toBeUndefined()
    expect(describeInvalidMessage(message)).toBeUndefined()
  })

  it.each(INVALID)("rejects %s, and so does the client's validation", (_, message) => {
    expect(protocolErrors(message)).toBeDefined()
    expect(describeInvalidMessage(message)).toBeDefined()
  })

  it.each(EXTENSIONS)("rejects %s (closed schema), which the client tolerates", (_, message) => {
    expect(protocolErrors(message)).toBeDefined()
    expect(describeInvalidMessage(message)).toBeUndefined()
  })
})

// ---------------------------------------------------------------------------
// Generators

const pad = (n: number, width: number): string => String(n).padStart(width, "0")

/** Strings in RFC 3339 date-time *shape*, with fields that may be out of range. */
const dateTimeShaped = fc
  .record({
    year: fc.integer({ min: 0, max: 9999 }),
    month: fc.integer({ min: 0, max: 13 }),
    day: fc.integer({ min: 0, max: 32 }),
    hour: fc.integer({ min: 0, max: 24 }),
    minute: fc.integer({ min: 0, max: 60 }),
    second: fc.integer({ min: 0, max: 61 }),
    fraction: fc.option(fc.integer({ min: 0, max: 999_999 }), { nil: undefined }),
    separator: fc.constantFrom("T", "t"),
    zone: fc.oneof(
      fc.constantFrom("Z", "z"),
      fc.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 })).map(
        ([sign, h, m]) => `${sign}${pad(h, 2)}:${pad(m, 2)}`
      )
    ),
  })
  .map(
    (t) =>
      `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}${t.separator}${pad(t.hour, 2)}:${pad(t.minute, 2)}:` +
      `${pad(t.second, 2)}${t.fraction === undefined ? "" : `.${t.fraction}`}${t.zone}`
  )

/** Dates RFC 3339 can express (years 0000–9999), and some it cannot. */
const representableDate = fc.date({
  min: new Date("0000-01-01T00:00:00.000Z"),
  max: new Date("9999-12-31T23:59:59.999Z"),
  noInvalidDate: true,
})

const timestampOption: fc.Arbitrary<string | Date | undefined> = fc.oneof(
  fc.constant(undefined),
  representableDate,
  representableDate.map((d) => d.toISOString()),
  dateTimeShaped,
  fc.date({ noInvalidDate: false }),
  fc.string()
)

const txidOption = fc.option(fc.oneof(fc.uuid(), fc.string()), { nil: undefined })

const jsonish = fc.jsonValue()

const fieldName = fc.oneof(fc.constantFrom("id", "key", "slug", "n"), fc.string({ minLength: 1, maxLength: 8 })).filter(
  (name) => name !== "__proto__"
)

const entityDefinition = fc.record({
  type: fc.oneof(fc.constantFrom("user", "todo", "a:b"), fc.string({ minLength: 1, maxLength: 10 })),
  primaryKey: fieldName,
})

const primaryKeyValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean()
)

type BuilderCall =
  | { kind: "insert"; value: Record<string, unknown>; options: ChangeOptions }
  | { kind: "update"; value: Record<string, unknown>; oldValue?: unknown; options: ChangeOptions }
  | { kind: "deleteByKey"; key: string | number; oldValue?: unknown; options: ChangeOptions }
  | { kind: "deleteByValue"; value: Record<string, unknown>; oldValue?: unknown; options: ChangeOptions }

const anyValue: StandardSchemaV1 = syncSchema((value) => ({ value }))

describe("every message the builders produce validates against the protocol schema", () => {
  it("for random entity types, values, keys, txids and timestamps (or the builder refuses with INVALID_ARGUMENT)", () => {
    const call = (primaryKey: string): fc.Arbitrary<BuilderCall> => {
      const value = fc
        .tuple(fc.dictionary(fc.string({ maxLength: 6 }), jsonish, { maxKeys: 4 }), primaryKeyValue)
        .map(([rest, pk]) => {
          const out: Record<string, unknown> = { ...rest }
          if (pk !== undefined) out[primaryKey] = pk
          return out
        })
      const options = fc.record({ txid: txidOption, timestamp: timestampOption }, { requiredKeys: [] })
      const oldValue = fc.option(jsonish, { nil: undefined })
      return fc.oneof(
        fc.record({ kind: fc.constant("insert" as const), value, options }),
        fc.record({ kind: fc.constant("update" as const), value, oldValue, options }),
        fc.record({
          kind: fc.constant("deleteByKey" as const),
          key: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
          oldValue,
          options,
        }),
        fc.record({ kind: fc.constant("deleteByValue" as const), value, oldValue, options })
      )
    }

    let built = 0
    fc.assert(
      fc.property(
        entityDefinition.chain((def) => fc.tuple(fc.constant(def), fc.array(call(def.primaryKey), { minLength: 1, maxLength: 5 }))),
        ([def, calls]) => {
          const schema = createStateSchema({ things: { ...def, schema: anyValue } })
          for (const c of calls) {
            let message
            try {
              message =
                c.kind === "insert"
                  ? schema.things.insert({ value: c.value, ...c.options })
                  : c.kind === "update"
                    ? schema.things.update({ value: c.value, oldValue: c.oldValue, ...c.options })
                    : c.kind === "deleteByKey"
                      ? schema.things.delete({ key: c.key, oldValue: c.oldValue, ...c.options })
                      : schema.things.delete({ value: c.value, oldValue: c.oldValue, ...c.options })
            } catch (error) {
              // Refusing bad input is fine, but only as a typed argument error.
              expect(error).toBeInstanceOf(DurableStreamError)
              expect((error as DurableStreamError).code).toBe("INVALID_ARGUMENT")
              continue
            }
            built++
            const errors = protocolErrors(message)
            expect(errors, `${JSON.stringify(message)}: ${errors}`).toBeUndefined()
            // What the builder says, not just that it is well-formed.
            expect(message.type).toBe(def.type)
            expect(message.headers.operation).toBe(c.kind.startsWith("delete") ? "delete" : c.kind)
            const expectedKey = c.kind === "deleteByKey" ? String(c.key) : String(c.value[def.primaryKey])
            expect(message.key).toBe(expectedKey)
            if (c.kind === "insert" || c.kind === "update") expect(message.value).toBe(c.value)
            else expect("value" in message).toBe(false)
            expect(message.headers.txid).toBe(c.options.txid)
            const stamp = c.options.timestamp
            expect(message.headers.timestamp).toBe(stamp instanceof Date ? stamp.toISOString() : stamp)
            // The client's own validation agrees with the oracle here.
            expect(describeInvalidMessage(message)).toBeUndefined()
          }
        }
      ),
      { numRuns: 400 }
    )
    // The property is not vacuous: most calls build a message.
    expect(built).toBeGreaterThan(400)
  })
})

describe("the client's validation agrees with the protocol schema on messages without extension fields", () => {
  const absent = Symbol("absent")
  const maybe = <T,>(arb: fc.Arbitrary<T>, weight = 3): fc.Arbitrary<T | typeof absent> =>
    fc.oneof({ weight: 1, arbitrary: fc.constant(absent) }, { weight, arbitrary: arb })
  const build = (fields: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== absent))

  const looseString = fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 6 }) },
    { weight: 1, arbitrary: fc.constantFrom("", 0, null, true) }
  )
  const changeHeaders = fc
    .record({
      operation: maybe(fc.oneof(fc.constantFrom("insert", "update", "delete"), fc.constantFrom("upsert", "INSERT", ""), fc.integer()), 8),
      txid: maybe(looseString, 1),
      timestamp: maybe(fc.oneof(dateTimeShaped, representableDate.map((d) => d.toISOString()), looseString), 2),
    })
    .map(build)
  const changeLike = fc
    .record({
      type: maybe(looseString, 8),
      key: maybe(looseString, 8),
      value: maybe(jsonish),
      old_value: maybe(jsonish, 1),
      headers: maybe(fc.oneof({ weight: 10, arbitrary: changeHeaders }, { weight: 1, arbitrary: jsonish }), 10),
    })
    .map(build)
  const controlLike = fc
    .record({
      headers: maybe(
        fc
          .record({
            control: maybe(fc.oneof(fc.constantFrom("snapshot-start", "snapshot-end", "reset"), looseString), 8),
            offset: maybe(looseString, 1),
          })
          .map(build),
        10
      ),
    })
    .map(build)

  it("accepts exactly the messages the schema accepts", () => {
    let valid = 0
    fc.assert(
      fc.property(fc.oneof(changeLike, controlLike), (message) => {
        const wire = JSON.parse(JSON.stringify(message)) as unknown
        const schemaSays = protocolErrors(wire) === undefined
        const clientSays = describeInvalidMessage(wire) === undefined
        if (schemaSays) valid++
        expect(clientSays, `${JSON.stringify(wire)}: schema ${schemaSays ? "accepts" : protocolErrors(wire)}`).toBe(schemaSays)
      }),
      { numRuns: 2000 }
    )
    expect(valid).toBeGreaterThan(100)
  })
})
