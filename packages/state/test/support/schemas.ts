import type { StandardSchemaV1 } from "../../src/index"

export interface TestIssue {
  message: string
  path?: ReadonlyArray<PropertyKey | StandardSchemaV1.PathSegment>
}

type Check<T> = (value: unknown) => { value: T } | { issues: TestIssue[] }

/** A hand-rolled synchronous Standard Schema. */
export function syncSchema<T>(check: Check<T>): StandardSchemaV1<unknown, T> {
  return {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) => check(value) as StandardSchemaV1.Result<T>,
    },
  }
}

/** The same, but answering a promise on a later macrotask, like a remote or lazy validator. */
export function asyncSchema<T>(check: Check<T>): StandardSchemaV1<unknown, T> {
  return {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) =>
        new Promise<StandardSchemaV1.Result<T>>((resolve) => {
          setImmediate(() => resolve(check(value) as StandardSchemaV1.Result<T>))
        }),
    },
  }
}

type FieldKind = "string" | "number" | "boolean"
type KindType<K extends FieldKind> = K extends "string" ? string : K extends "number" ? number : boolean
type Shape = Record<string, FieldKind>
export type ObjectOf<S extends Shape> = { [K in keyof S]: KindType<S[K]> }

/** Checks a plain object with the given required fields; one issue per bad field, with its path. */
export function checkObject<S extends Shape>(shape: S): Check<ObjectOf<S>> {
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      return { issues: [{ message: "expected an object" }] }
    }
    const issues: TestIssue[] = []
    for (const [field, kind] of Object.entries(shape)) {
      const got = (value as Record<string, unknown>)[field]
      if (typeof got !== kind) issues.push({ message: `expected ${kind}, got ${typeof got}`, path: [field] })
    }
    return issues.length > 0 ? { issues } : { value: value as ObjectOf<S> }
  }
}

export function objectSchema<S extends Shape>(shape: S): StandardSchemaV1<unknown, ObjectOf<S>> {
  return syncSchema(checkObject(shape))
}

export function asyncObjectSchema<S extends Shape>(shape: S): StandardSchemaV1<unknown, ObjectOf<S>> {
  return asyncSchema(checkObject(shape))
}

/**
 * The same, answering a thenable that is not a Promise (a library's own
 * deferred): it must be awaited like one.
 */
export function thenableSchema<T>(check: Check<T>): StandardSchemaV1<unknown, T> {
  return {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) => {
        const result = check(value) as StandardSchemaV1.Result<T>
        const thenable = { then: (resolve: (settled: StandardSchemaV1.Result<T>) => void) => resolve(result) }
        return thenable as unknown as Promise<StandardSchemaV1.Result<T>>
      },
    },
  }
}
