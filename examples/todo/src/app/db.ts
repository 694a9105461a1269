// The app's data: a StreamDB over one durable stream, with optimistic actions.
import { createStreamDB } from "@durable-client/collections"
import { tabSharing } from "@durable-client/collections/tab-sharing"
import { schema, type Todo } from "./schema"

export function openTodoDB(url: string) {
  return createStreamDB({
    url,
    schema,
    // Windows of this app in one browser share one live connection.
    shareAcrossTabs: tabSharing({ namespace: "todo-example" }),
    actions: {
      addTodo: {
        // Shown at once; replaced by the confirmed row when the stream echoes
        // the write, or rolled back if the write fails.
        optimistic: (draft, todo: Todo) => draft.todos.insert(todo),
        write: (todo: Todo, { schema }) => schema.todos.insert({ value: todo }),
      },
      setDone: {
        optimistic: (draft, { todo, done }: { todo: Todo; done: boolean }) =>
          draft.todos.update(todo.id, (current) => ({ ...current, done })),
        write: ({ todo, done }: { todo: Todo; done: boolean }, { schema }) =>
          schema.todos.update({ value: { ...todo, done } }),
      },
      deleteTodo: {
        optimistic: (draft, { id }: { id: string }) => draft.todos.delete(id),
        write: ({ id }: { id: string }, { schema }) => schema.todos.delete({ key: id }),
      },
    },
  })
}

export type TodoDB = ReturnType<typeof openTodoDB>
