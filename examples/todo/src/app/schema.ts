// The todo list's State Protocol schema: one entity type, "todo", keyed by id.
import { createStateSchema, type StandardSchemaV1 } from "@durable-client/collections"

export interface Todo {
  id: string
  text: string
  done: boolean
  /** Milliseconds since the epoch; the list is ordered by it. */
  createdAt: number
}

function isTodo(value: unknown): value is Todo {
  if (typeof value !== "object" || value === null) return false
  const todo = value as Record<string, unknown>
  return (
    typeof todo.id === "string" &&
    todo.id !== "" &&
    typeof todo.text === "string" &&
    typeof todo.done === "boolean" &&
    typeof todo.createdAt === "number"
  )
}

/**
 * A Standard Schema written by hand to keep the example free of a
 * validation library; Zod, Valibot or ArkType schemas plug in the same way.
 */
const todoValue: StandardSchemaV1<unknown, Todo> = {
  "~standard": {
    version: 1,
    vendor: "todo-example",
    validate: (value) => (isTodo(value) ? { value } : { issues: [{ message: "not a todo" }] }),
  },
}

export const schema = createStateSchema({
  todos: { type: "todo", primaryKey: "id", schema: todoValue },
})
