/**
 * Two hand-rolled Standard Schema (v1) objects, so the tests depend on the
 * spec only and not on any validation library.
 */
import type { StandardSchemaV1 } from "../../../src/index"

export interface User {
  user: { name: string; age: number }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

function userIssues(value: unknown): StandardSchemaV1.Issue[] {
  if (!isRecord(value)) return [{ message: "expected an object" }]
  const user = value.user
  if (!isRecord(user)) return [{ message: "expected an object", path: ["user"] }]
  const issues: StandardSchemaV1.Issue[] = []
  if (typeof user.name !== "string") issues.push({ message: "expected a string", path: ["user", "name"] })
  // A path segment may also be an object with a key (the spec allows both forms).
  if (typeof user.age !== "number") issues.push({ message: "expected a number", path: ["user", { key: "age" }] })
  return issues
}

/** Synchronous: `{ user: { name: string, age: number } }`, passed through unchanged. */
export function createUserSchema(calls: unknown[] = []): StandardSchemaV1<unknown, User> {
  return {
    "~standard": {
      version: 1,
      vendor: "test-sync",
      validate(value) {
        calls.push(value)
        const issues = userIssues(value)
        return issues.length > 0 ? { issues } : { value: value as User }
      },
    },
  }
}

/** What the transforming schema produces from a `User`. */
export interface Person {
  name: string
  isAdult: boolean
  source: "async-schema"
}

/** Asynchronous and transforming: validates a `User`, returns a `Person`. */
export function createPersonSchema(calls: unknown[] = []): StandardSchemaV1<unknown, Person> {
  return {
    "~standard": {
      version: 1,
      vendor: "test-async",
      async validate(value) {
        calls.push(value)
        // A later macrotask, like a remote or lazy validator (no clock involved).
        await new Promise((resolve) => setImmediate(resolve))
        const issues = userIssues(value)
        if (issues.length > 0) return { issues }
        const { user } = value as User
        return { value: { name: user.name.toUpperCase(), isAdult: user.age >= 18, source: "async-schema" } }
      },
    },
  }
}
