import { runInNewContext } from "node:vm"
import { http, HttpResponse } from "msw"
import { describe, expect, expectTypeOf, it } from "vitest"
import {
  DurableStreamError,
  JsonStream,
  ValidationError,
  isDurableStreamError,
  type JsonBatch,
  type JsonReadSession,
  type StandardSchemaV1,
} from "../../src/index"
import { jsonResponse, streamUrl, useMswServer } from "./support/msw"
import { createPersonSchema, createUserSchema, type Person, type User } from "./support/schemas"

const server = useMswServer()

const alice = { user: { name: "alice", age: 30 } }
const bob = { user: { name: "bob", age: 12 } }
const carol = { user: { name: "carol", age: 41 } }
const badAge = { user: { name: "dave", age: "old" } }

/** Two good responses; the second is the end of the stream for now. */
function serveGood(url: string): void {
  server.use(
    http.get(url, ({ request }) => {
      const offset = new URL(request.url).searchParams.get("offset")
      if (offset === "-1") return jsonResponse(JSON.stringify([alice, bob]), "00000002")
      if (offset === "00000002") return jsonResponse(JSON.stringify([carol]), "00000003", { upToDate: true })
      return new HttpResponse(null, { status: 500 })
    })
  )
}

/** One good response, then a response whose second item fails the schema. */
function serveWithBadItem(url: string): void {
  server.use(
    http.get(url, ({ request }) => {
      const offset = new URL(request.url).searchParams.get("offset")
      if (offset === "-1") return jsonResponse(JSON.stringify([alice]), "00000001")
      if (offset === "00000001") {
        return jsonResponse(JSON.stringify([carol, badAge, bob]), "00000004", { upToDate: true })
      }
      return new HttpResponse(null, { status: 500 })
    })
  )
}

async function validationFailure(promise: Promise<unknown>): Promise<ValidationError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught
  )
  expect(error).toBeInstanceOf(ValidationError)
  return error as ValidationError
}

describe("synchronous schema", () => {
  it("validates every item of every batch and hands out the values", async () => {
    const url = streamUrl("sync-ok")
    serveGood(url)
    const calls: unknown[] = []
    const stream = new JsonStream({ url, schema: createUserSchema(calls) })
    expect(await stream.read().json()).toEqual([alice, bob, carol])
    expect(calls).toEqual([alice, bob, carol])
  })

  it("a failing item is a ValidationError with url, offset and the issue path", async () => {
    const url = streamUrl("sync-bad")
    serveWithBadItem(url)
    const stream = new JsonStream({ url, schema: createUserSchema() })
    const session = stream.read()
    const delivered: User[] = []
    const error = await validationFailure(
      (async () => {
        for await (const batch of session) delivered.push(...batch.items)
      })()
    )
    expect(error.code).toBe("VALIDATION")
    expect(isDurableStreamError(error)).toBe(true)
    expect(error).toBeInstanceOf(DurableStreamError)
    // Its own name, in logs and `String(error)`; still recognised across bundled copies.
    expect(error.name).toBe("ValidationError")
    expect(String(error)).toMatch(/^ValidationError: /)
    const copy = Object.assign(Object.create(Object.getPrototypeOf(error) as object) as object, {
      code: error.code,
      url: error.url,
      name: error.name,
    })
    expect(isDurableStreamError(copy)).toBe(true)
    expect(error.url).toBe(url)
    expect(error.offset).toBe("00000001")
    expect(error.issues).toEqual([{ message: "expected a number", path: ["user", "age"] }])
    expect(error.value).toEqual(badAge)
    expect(error.message).toContain(url)
    expect(error.message).toContain("user.age")
    // Nothing of the failing batch was delivered, and the checkpoint did not move past it.
    expect(delivered).toEqual([alice])
    expect(session.offset).toBe("00000001")
  })

  it("reports several issues of one item, and a root-level issue with an empty path", async () => {
    const url = streamUrl("sync-issues")
    server.use(http.get(url, () => jsonResponse('[{"user":{}}, 5]', "00000002", { upToDate: true })))
    const error = await validationFailure(new JsonStream({ url, schema: createUserSchema() }).read().json())
    expect(error.issues.map((issue) => issue.path)).toEqual([
      ["user", "name"],
      ["user", "age"],
    ])
    const url2 = streamUrl("sync-root")
    server.use(http.get(url2, () => jsonResponse("[5]", "00000001", { upToDate: true })))
    const rootError = await validationFailure(new JsonStream({ url: url2, schema: createUserSchema() }).read().json())
    expect(rootError.issues).toEqual([{ message: "expected an object", path: [] }])
  })
})

describe("asynchronous, transforming schema", () => {
  it("hands out the schema's outputs, not the raw values, in every read style", async () => {
    const expected: Person[] = [
      { name: "ALICE", isAdult: true, source: "async-schema" },
      { name: "BOB", isAdult: false, source: "async-schema" },
      { name: "CAROL", isAdult: true, source: "async-schema" },
    ]
    const url = streamUrl("async-ok")
    serveGood(url)
    const calls: unknown[] = []
    const stream = new JsonStream({ url, schema: createPersonSchema(calls) })

    expect(await stream.read().json()).toEqual(expected)
    expect(calls).toEqual([alice, bob, carol])

    const viaMessages: Person[] = []
    for await (const person of stream.read().messages()) viaMessages.push(person)
    expect(viaMessages).toEqual(expected)

    const viaSubscribe: Person[] = []
    await stream.read().forEach((batch) => void viaSubscribe.push(...batch.items))
    expect(viaSubscribe).toEqual(expected)
  })

  it("an async failure is a ValidationError at the last good offset", async () => {
    const url = streamUrl("async-bad")
    serveWithBadItem(url)
    const session = new JsonStream({ url, schema: createPersonSchema() }).read()
    const handled: Person[] = []
    const error = await validationFailure(session.forEach((batch) => void handled.push(...batch.items)))
    expect(error.code).toBe("VALIDATION")
    expect(error.offset).toBe("00000001")
    expect(error.issues[0]!.path).toEqual(["user", "age"])
    expect(handled.map((p) => p.name)).toEqual(["ALICE"])
    expect(session.offset).toBe("00000001")
  })
})

describe("promises from another realm", () => {
  it("awaits a validate() result that is a promise from another realm (iframe, vm)", async () => {
    const url = streamUrl("realm")
    serveGood(url)
    // Same shape as a native promise, but `instanceof Promise` is false here.
    const foreign: StandardSchemaV1<unknown, string> = {
      "~standard": {
        version: 1,
        vendor: "test-realm",
        validate: (value) =>
          runInNewContext("Promise.resolve(result)", {
            result: { value: (value as User).user.name },
          }) as Promise<StandardSchemaV1.Result<string>>,
      },
    }
    expect(await new JsonStream({ url, schema: foreign }).read().json()).toEqual(["alice", "bob", "carol"])
  })
})

describe("thenables that are not promises", () => {
  // A validator may return any PromiseLike (a library's own deferred, say).
  function thenableSchema(): StandardSchemaV1<unknown, string> {
    return {
      "~standard": {
        version: 1,
        vendor: "test-thenable",
        validate: (value) => {
          const age = (value as User).user.age
          const result: StandardSchemaV1.Result<string> =
            typeof age === "number" ? { value: (value as User).user.name.toUpperCase() } : { issues: [{ message: "age must be a number", path: ["user", "age"] }] }
          return { then: (resolve: (settled: typeof result) => void) => resolve(result) } as unknown as Promise<StandardSchemaV1.Result<string>>
        },
      },
    }
  }

  it("awaits them: values are the schema's outputs", async () => {
    const url = streamUrl("thenable-ok")
    serveGood(url)
    expect(await new JsonStream({ url, schema: thenableSchema() }).read().json()).toEqual(["ALICE", "BOB", "CAROL"])
  })

  it("their issues are a ValidationError, not ignored", async () => {
    const url = streamUrl("thenable-bad")
    serveWithBadItem(url)
    const error = await validationFailure(new JsonStream({ url, schema: thenableSchema() }).read().json())
    expect(error.issues).toEqual([{ message: "age must be a number", path: ["user", "age"] }])
  })
})

describe("a validator that misbehaves", () => {
  it("one that throws is CALLBACK_FAILED naming the stream, with what it threw", async () => {
    const url = streamUrl("throwing-schema")
    serveGood(url)
    const bug = new Error("validator bug")
    const throwing: StandardSchemaV1<unknown, unknown> = {
      "~standard": {
        version: 1,
        vendor: "test-throw",
        validate: () => {
          throw bug
        },
      },
    }
    const error = await new JsonStream({ url, schema: throwing }).read().json().then(
      () => undefined,
      (caught: unknown) => caught as DurableStreamError
    )
    expect(error?.code).toBe("CALLBACK_FAILED")
    expect(error?.cause).toBe(bug)
    expect(error?.message).toContain(url)
  })
})

describe("types", () => {
  it("types items from the schema's output", async () => {
    const url = streamUrl("types")
    serveGood(url)
    const users = new JsonStream({ url, schema: createUserSchema() })
    const people = new JsonStream({ url, schema: createPersonSchema() })
    const untyped = new JsonStream({ url })

    expectTypeOf(users).toEqualTypeOf<JsonStream<User>>()
    expectTypeOf(people.read()).toEqualTypeOf<JsonReadSession<Person>>()
    expectTypeOf(people.read().json()).resolves.toEqualTypeOf<Person[]>()
    expectTypeOf(people.read().messages()).toEqualTypeOf<AsyncGenerator<Person, void, undefined>>()
    expectTypeOf(untyped.read().json()).resolves.toEqualTypeOf<unknown[]>()
    expectTypeOf<Parameters<JsonReadSession<Person>["forEach"]>[0]>().parameter(0).toEqualTypeOf<JsonBatch<Person>>()

    const items = await people.read().json()
    expectTypeOf(items[0]!.isAdult).toEqualTypeOf<boolean>()
    expect(items[0]!.isAdult).toBe(true)
  })
})
