import { Collection } from "../../src/collection"
import { DELETED, controlOf } from "../../src/collection-contract"
import { MaterializedState, type OnCallbackError, type StateMessage } from "../../src/index"
import type { Todo } from "./schemas"

export interface Harness {
  state: MaterializedState
  todos: Collection<Todo>
  /** Applies wire messages as one batch; the collection hears the changed keys, as under a StreamDB. */
  apply(...messages: StateMessage[]): void
  /** Lays an optimistic value (or DELETED) over a key and notifies, as a StreamDB action step does. */
  override(key: string, value: Todo | typeof DELETED): void
  /** Removes an optimistic value and notifies. */
  clearOverride(key: string): void
}

/** A collection of `todo` rows over a MaterializedState, wired the way StreamDB wires it. */
export function harness(options: { onCallbackError?: OnCallbackError } = {}): Harness {
  const state = new MaterializedState({ onCallbackError: options.onCallbackError })
  const todos = new Collection<Todo>("todos", "todo", "id", state, "http://collections.test/todos", options.onCallbackError)
  const control = controlOf(todos)
  state.subscribe((changes) => {
    control.notifyKeysChanged(changes.filter((change) => change.type === "todo").map((change) => change.key))
  })
  return {
    state,
    todos,
    apply: (...messages) => state.apply(messages),
    override: (key, value) => {
      control.setOverride(key, value)
      control.notifyKeysChanged([key])
    },
    clearOverride: (key) => {
      control.setOverride(key, undefined)
      control.notifyKeysChanged([key])
    },
  }
}

export function todo(id: string, fields: Partial<Omit<Todo, "id">> = {}): Todo {
  return { id, text: fields.text ?? `todo ${id}`, done: fields.done ?? false, rank: fields.rank ?? 0 }
}

/** Every value a store's subscriber receives, in order. */
export function record<T>(store: { subscribe(listener: (value: T) => void): () => void }): {
  values: T[]
  stop: () => void
} {
  const values: T[] = []
  const stop = store.subscribe((value) => values.push(value))
  return { values, stop }
}
