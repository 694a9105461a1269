// The todo list UI: a live query for the list, optimistic actions for edits.
import { useLiveQuery, useStreamDB } from "@durable-client/collections/react"
import { useCallback, useEffect, useState, type FormEvent } from "react"
import { openTodoDB, type TodoDB } from "./db"
import type { Todo } from "./schema"

/** What the page exposes on `window.todoApp`, for curious humans and the browser test. */
export interface TodoDiagnostics {
  ready: boolean
  /** Actions started and not yet confirmed (or failed). */
  inFlight: number
  errors: string[]
}

const diagnostics: TodoDiagnostics = { ready: false, inFlight: 0, errors: [] }
;(globalThis as unknown as { todoApp: TodoDiagnostics }).todoApp = diagnostics

export function App({ streamUrl }: { streamUrl: string }) {
  // Opened for the component's lifetime, closed on unmount.
  const db = useStreamDB(() => openTodoDB(streamUrl), [streamUrl])
  return (
    <main>
      <h1>Todos</h1>
      {db ? <TodoList db={db} /> : <p className="muted">opening…</p>}
    </main>
  )
}

/**
 * Keys with an action in flight: their rows are optimistic until the
 * stream echoes the write. Failures are listed under the list.
 */
function usePending(): [ReadonlySet<string>, string[], (key: string, action: Promise<unknown>) => void] {
  const [pending, setPending] = useState<ReadonlyMap<string, number>>(new Map())
  const [errors, setErrors] = useState<string[]>([])
  const track = useCallback((key: string, action: Promise<unknown>) => {
    const change = (delta: number) =>
      setPending((current) => {
        const next = new Map(current)
        const count = (next.get(key) ?? 0) + delta
        if (count > 0) next.set(key, count)
        else next.delete(key)
        return next
      })
    change(1)
    diagnostics.inFlight++
    action
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error)
        diagnostics.errors.push(message)
        setErrors((current) => [...current, message])
      })
      .finally(() => {
        diagnostics.inFlight--
        change(-1)
      })
  }, [])
  return [new Set(pending.keys()), errors, track]
}

function TodoList({ db }: { db: TodoDB }) {
  const todos = useLiveQuery(db.collections.todos, { orderBy: "createdAt" })
  const [ready, setReady] = useState(false)
  const [text, setText] = useState("")
  const [pending, errors, track] = usePending()

  useEffect(() => {
    let current = true
    db.ready.then(
      () => {
        if (!current) return
        diagnostics.ready = true
        setReady(true)
      },
      () => undefined
    )
    return () => {
      current = false
    }
  }, [db])

  const add = (event: FormEvent) => {
    event.preventDefault()
    const trimmed = text.trim()
    if (trimmed === "") return
    const todo: Todo = { id: crypto.randomUUID(), text: trimmed, done: false, createdAt: Date.now() }
    track(todo.id, db.actions.addTodo(todo))
    setText("")
  }

  const left = todos.filter((todo) => !todo.done).length
  return (
    <>
      <form onSubmit={add}>
        <input
          data-testid="new-todo"
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder="What needs doing?"
          aria-label="New todo"
        />
        <button type="submit">Add</button>
      </form>
      <ul>
        {todos.map((todo) => (
          <TodoItem
            key={todo.id}
            todo={todo}
            saving={pending.has(todo.id)}
            onToggle={() => track(todo.id, db.actions.setDone({ todo, done: !todo.done }))}
            onDelete={() => track(todo.id, db.actions.deleteTodo({ id: todo.id }))}
          />
        ))}
      </ul>
      <p data-testid="summary" className="muted">
        {ready ? `${left} left · ${todos.length} in all` : "catching up…"}
      </p>
      {errors.map((error, index) => (
        <p key={index} className="error" role="alert">
          {error}
        </p>
      ))}
    </>
  )
}

function TodoItem(props: { todo: Todo; saving: boolean; onToggle: () => void; onDelete: () => void }) {
  const { todo, saving } = props
  return (
    <li data-testid="todo" data-done={String(todo.done)} data-saving={String(saving)} className={todo.done ? "done" : ""}>
      <label>
        <input type="checkbox" checked={todo.done} onChange={props.onToggle} aria-label={`Done: ${todo.text}`} />
        <span className="text">{todo.text}</span>
      </label>
      {saving && <span className="saving">saving…</span>}
      <button type="button" onClick={props.onDelete} aria-label={`Delete ${todo.text}`}>
        ×
      </button>
    </li>
  )
}
