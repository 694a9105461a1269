import type { StandardSchemaV1 } from "../../src/index"

/** A hand-rolled synchronous Standard Schema whose output type is `T`. */
export function schemaOf<T>(check: (value: unknown) => value is T): StandardSchemaV1<unknown, T> {
  return {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) => (check(value) ? { value } : { issues: [{ message: "invalid value" }] }),
    },
  }
}

export interface Todo {
  id: string
  text: string
  done: boolean
  rank: number
}

export interface User {
  id: string
  name: string
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

export const todoSchema = schemaOf<Todo>(
  (value): value is Todo =>
    isRecord(value) &&
    typeof value.id === "string" &&
    typeof value.text === "string" &&
    typeof value.done === "boolean" &&
    typeof value.rank === "number"
)

export const userSchema = schemaOf<User>(
  (value): value is User => isRecord(value) && typeof value.id === "string" && typeof value.name === "string"
)
