import { describe, expectTypeOf, it } from "vitest"
import {
  createStateSchema,
  createStreamDB,
  type ActionResult,
  type Collection,
  type LiveQuery,
  type LiveRow,
  type StandardSchemaV1,
  type StreamDB,
} from "../../src/index"
import { useLiveQuery, useRow, useStore } from "../../src/react"
import { schemaOf, type Todo, type User } from "../support/schemas"

// Nothing here runs: the DBs are only created inside functions whose types are inspected.

interface Event {
  id: number
  at: Date
}
/** Input (wire) and output types differ: rows must be typed from the output. */
const eventSchema: StandardSchemaV1<{ id: number; at: string }, Event> = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) => {
      const input = value as { id: number; at: string }
      return { value: { id: input.id, at: new Date(input.at) } }
    },
  },
}

const schema = createStateSchema({
  todos: { type: "todo", primaryKey: "id", schema: schemaOf<Todo>((value): value is Todo => typeof value === "object") },
  users: { type: "user", primaryKey: "id", schema: schemaOf<User>((value): value is User => typeof value === "object") },
  events: { type: "event", primaryKey: "id", schema: eventSchema },
})

function openTyped() {
  return createStreamDB({
    url: "http://127.0.0.1:9/never",
    schema,
    actions: {
      addTodo: {
        optimistic: (draft, args: { text: string }) => {
          expectTypeOf(draft.todos.get).returns.toEqualTypeOf<Todo | undefined>()
          expectTypeOf(draft.users.get).returns.toEqualTypeOf<User | undefined>()
          expectTypeOf(draft.todos.insert).parameter(0).toEqualTypeOf<Todo>()
          expectTypeOf(draft.events.insert).parameter(0).toEqualTypeOf<Event>()
          draft.todos.insert({ id: "tmp", text: args.text, done: false, rank: 0 })
          draft.todos.update("tmp", (current) => {
            expectTypeOf(current).toEqualTypeOf<Todo>()
            return { ...current, rank: 1 }
          })
          // @ts-expect-error a user is not a todo
          draft.todos.insert({ id: "u", name: "Ada" })
          // @ts-expect-error a todo needs all its fields
          draft.todos.insert({ id: "tmp", text: args.text })
          // @ts-expect-error the change must return a todo
          draft.todos.update("tmp", () => ({ id: "tmp" }))
          // @ts-expect-error collections are the schema's only
          void draft.projects
        },
        write: (args: { text: string }, context) => {
          expectTypeOf(context.txid).toEqualTypeOf<string>()
          expectTypeOf(context.schema).toEqualTypeOf<typeof schema>()
          return context.schema.todos.insert({ value: { id: "1", text: args.text, done: false, rank: 0 } })
        },
      },
      removeUser: {
        write: async (args: { id: string; reason?: string }, { schema }) => [schema.users.delete({ key: args.id })],
      },
      ping: {
        // An action that writes elsewhere and returns nothing.
        write: (_args: void) => undefined,
      },
    },
  })
}
type DB = ReturnType<typeof openTyped>

function openUntyped() {
  return createStreamDB({ url: "http://127.0.0.1:9/never", schema })
}

describe("collections", () => {
  it("rows are typed from each schema's output", () => {
    expectTypeOf<DB["collections"]["todos"]>().toEqualTypeOf<Collection<Todo>>()
    expectTypeOf<DB["collections"]["users"]>().toEqualTypeOf<Collection<User>>()
    expectTypeOf<DB["collections"]["events"]>().toEqualTypeOf<Collection<Event>>()
    expectTypeOf<ReturnType<DB["collections"]["events"]["toArray"]>>().toEqualTypeOf<Event[]>()
    expectTypeOf<DB["collections"]>().not.toHaveProperty("projects")
  })

  it("get returns Row | undefined; iteration yields rows", () => {
    expectTypeOf<DB["collections"]["todos"]["get"]>().returns.toEqualTypeOf<Todo | undefined>()
    expectTypeOf<DB["collections"]["todos"]["get"]>().parameter(0).toEqualTypeOf<string>()
    expectTypeOf<DB["collections"]["todos"]>().toMatchTypeOf<Iterable<Todo>>()
  })

  it("query current is Row[] and watch current is Row | undefined", () => {
    expectTypeOf<ReturnType<DB["collections"]["todos"]["query"]>>().toEqualTypeOf<LiveQuery<Todo>>()
    expectTypeOf<LiveQuery<Todo>["current"]>().toEqualTypeOf<Todo[]>()
    expectTypeOf<ReturnType<DB["collections"]["users"]["watch"]>>().toEqualTypeOf<LiveRow<User>>()
    expectTypeOf<LiveRow<User>["current"]>().toEqualTypeOf<User | undefined>()
  })

  it("query options are checked against the row type", () => {
    const check = (todos: DB["collections"]["todos"]) => {
      todos.query({ where: { done: false }, orderBy: { rank: "desc", text: "asc" }, limit: 3 })
      todos.query({ where: (todo) => todo.text.length > 0, orderBy: (a, b) => a.rank - b.rank })
      todos.query({ orderBy: "text" })
      // @ts-expect-error done is a boolean
      todos.query({ where: { done: "no" } })
      // @ts-expect-error no such field
      todos.query({ where: { title: "x" } })
      // @ts-expect-error no such field to order by
      todos.query({ orderBy: "title" })
      // @ts-expect-error directions are asc or desc
      todos.query({ orderBy: { rank: "up" } })
    }
    expectTypeOf(check).toBeFunction()
  })
})

describe("actions", () => {
  it("argument types are inferred from each action's definition", () => {
    expectTypeOf<DB["actions"]["addTodo"]>().parameter(0).toEqualTypeOf<{ text: string }>()
    expectTypeOf<DB["actions"]["addTodo"]>().returns.toEqualTypeOf<Promise<ActionResult>>()
    expectTypeOf<DB["actions"]["removeUser"]>().parameter(0).toEqualTypeOf<{ id: string; reason?: string }>()
    expectTypeOf<DB["actions"]>().not.toHaveProperty("missing")
    const calls = (db: DB) => {
      void db.actions.addTodo({ text: "milk" })
      void db.actions.removeUser({ id: "u1" })
      void db.actions.ping()
      // @ts-expect-error text must be a string
      void db.actions.addTodo({ text: 1 })
      // @ts-expect-error text is required
      void db.actions.addTodo({})
      // @ts-expect-error not an action
      void db.actions.missing({ text: "milk" })
    }
    expectTypeOf(calls).toBeFunction()
  })

  it("a DB without actions has no action functions", () => {
    const calls = (db: ReturnType<typeof openUntyped>) => {
      // @ts-expect-error no actions were defined
      void db.actions.addTodo({ text: "milk" })
    }
    expectTypeOf(calls).toBeFunction()
    expectTypeOf<ReturnType<typeof openUntyped>["collections"]["todos"]>().toEqualTypeOf<Collection<Todo>>()
  })

  it("a DB with actions can be held as StreamDB<typeof schema>", () => {
    expectTypeOf<DB>().toMatchTypeOf<StreamDB<typeof schema>>()
  })
})

describe("React hooks", () => {
  it("useLiveQuery gives Row[], useRow Row | undefined, useStore the store's value", () => {
    expectTypeOf(useLiveQuery<Todo>).returns.toEqualTypeOf<Todo[]>()
    expectTypeOf(useRow<User>).returns.toEqualTypeOf<User | undefined>()
    const inComponent = (db: DB) => {
      expectTypeOf(useLiveQuery(db.collections.todos, { where: { done: true } })).toEqualTypeOf<Todo[]>()
      expectTypeOf(useRow(db.collections.users, "u1")).toEqualTypeOf<User | undefined>()
      expectTypeOf(useStore(db.collections.events)).toEqualTypeOf<Event[]>()
    }
    expectTypeOf(inComponent).toBeFunction()
  })
})

describe("Collection internals", () => {
  it("are not part of its public type: app code cannot write pending overrides or drop its listeners", () => {
    expectTypeOf<Collection<Todo>>().not.toHaveProperty("overrides")
    expectTypeOf<Collection<Todo>>().not.toHaveProperty("release")
  })
})
