// @vitest-environment happy-dom
import { act, cleanup, render, screen } from "@testing-library/react"
import { StrictMode, useRef } from "react"
import { afterEach, describe, expect, it, vi } from "vitest"
import type { Collection } from "../../src/index"
import { controlOf } from "../../src/collection-contract"
import { LiveQuery } from "../../src/live-query"
import { LiveRow } from "../../src/live-row"
import { useLiveQuery, useRow, useStore, useStreamDB } from "../../src/react"
import { harness, todo } from "../support/harness"
import { ins, upd, del } from "../support/messages"
import type { Todo } from "../support/schemas"

afterEach(() => {
  cleanup()
  vi.restoreAllMocks()
})

/** Counts renders of a component from the outside. */
function renderCounter() {
  return { count: 0 }
}

function OpenTodos({ todos, renders, limit }: { todos: Collection<Todo>; renders: { count: number }; limit?: number }) {
  renders.count++
  const rows = useLiveQuery(todos, { where: { done: false }, orderBy: "rank", limit })
  return <p data-testid="open">{rows.map((row) => row.text).join(",")}</p>
}

function TodoText({ todos, id, renders }: { todos: Collection<Todo>; id: string; renders: { count: number } }) {
  renders.count++
  const row = useRow(todos, id)
  return <p data-testid={`row-${id}`}>{row ? `${row.text}${row.done ? " (done)" : ""}` : "none"}</p>
}

function seeded() {
  const h = harness()
  h.apply(
    ins("todo", "a", todo("a", { text: "alpha", rank: 1 })),
    ins("todo", "b", todo("b", { text: "beta", rank: 2 })),
    ins("todo", "c", todo("c", { text: "gamma", rank: 3, done: true }))
  )
  return h
}

describe("useLiveQuery", () => {
  it("renders the result and re-renders only when the result changes", () => {
    const { todos, apply } = seeded()
    const renders = renderCounter()
    render(<OpenTodos todos={todos} renders={renders} />)
    expect(screen.getByTestId("open").textContent).toBe("alpha,beta")
    expect(renders.count).toBe(1)

    // Unrelated: a row the where excludes changes, appears, disappears.
    act(() => apply(upd("todo", "c", todo("c", { text: "gamma!", rank: 0, done: true }))))
    act(() => apply(ins("todo", "d", todo("d", { done: true }))))
    act(() => apply(del("todo", "d")))
    act(() => apply(ins("user", "u", { id: "u", name: "Ada" })))
    expect(renders.count).toBe(1)

    // A matching row changes: exactly one re-render.
    act(() => apply(upd("todo", "b", todo("b", { text: "BETA", rank: 2 }))))
    expect(renders.count).toBe(2)
    expect(screen.getByTestId("open").textContent).toBe("alpha,BETA")

    // A row enters the result: one more.
    act(() => apply(upd("todo", "c", todo("c", { text: "gamma", rank: 0 }))))
    expect(renders.count).toBe(3)
    expect(screen.getByTestId("open").textContent).toBe("gamma,alpha,BETA")
  })

  it("does not re-render for a change beyond the limit", () => {
    const { todos, apply } = seeded()
    const renders = renderCounter()
    render(<OpenTodos todos={todos} renders={renders} limit={1} />)
    expect(screen.getByTestId("open").textContent).toBe("alpha")
    act(() => apply(upd("todo", "b", todo("b", { text: "beta again", rank: 5 }))))
    act(() => apply(ins("todo", "z", todo("z", { rank: 9 }))))
    expect(renders.count).toBe(1)
    act(() => apply(ins("todo", "first", todo("first", { text: "first", rank: -1 }))))
    expect(renders.count).toBe(2)
    expect(screen.getByTestId("open").textContent).toBe("first")
  })

  it("rebuilds the query when deps change and disposes the old one and the last one on unmount", () => {
    const dispose = vi.spyOn(LiveQuery.prototype, "dispose")
    const { todos, apply } = seeded()
    const renders = renderCounter()
    function AtLeast({ min }: { min: number }) {
      renders.count++
      const rows = useLiveQuery(todos, { where: (row) => row.rank >= min, orderBy: "rank" }, [min])
      return <p data-testid="min">{rows.map((row) => row.id).join(",")}</p>
    }
    const { rerender, unmount } = render(<AtLeast min={2} />)
    expect(screen.getByTestId("min").textContent).toBe("b,c")
    rerender(<AtLeast min={3} />)
    expect(screen.getByTestId("min").textContent).toBe("c")
    expect(dispose).toHaveBeenCalledTimes(1)
    // Switching to the new query costs the one render that asked for it.
    expect(renders.count).toBe(2)
    act(() => apply(ins("todo", "d", todo("d", { rank: 4 }))))
    expect(screen.getByTestId("min").textContent).toBe("c,d")
    expect(renders.count).toBe(3)
    unmount()
    expect(dispose).toHaveBeenCalledTimes(2)
  })

  it("each subscribed component re-renders once per batch, even for a batch of many changes", () => {
    const { todos, apply } = seeded()
    const renders = renderCounter()
    render(<OpenTodos todos={todos} renders={renders} />)
    act(() =>
      apply(
        upd("todo", "a", todo("a", { text: "A", rank: 1 })),
        upd("todo", "b", todo("b", { text: "B", rank: 2 })),
        ins("todo", "e", todo("e", { text: "E", rank: 7 }))
      )
    )
    expect(renders.count).toBe(2)
    expect(screen.getByTestId("open").textContent).toBe("A,B,E")
  })
})

describe("useRow", () => {
  it("re-renders only when its own row changes", () => {
    const { todos, apply, override, clearOverride } = seeded()
    const renders = renderCounter()
    render(<TodoText todos={todos} id="a" renders={renders} />)
    expect(screen.getByTestId("row-a").textContent).toBe("alpha")
    act(() => apply(upd("todo", "b", todo("b", { text: "other" })), ins("todo", "x", todo("x"))))
    act(() => override("b", todo("b", { text: "optimistic other" })))
    expect(renders.count).toBe(1)
    act(() => apply(upd("todo", "a", todo("a", { text: "alpha", rank: 1, done: true }))))
    expect(renders.count).toBe(2)
    expect(screen.getByTestId("row-a").textContent).toBe("alpha (done)")
    act(() => override("a", todo("a", { text: "mine" })))
    expect(renders.count).toBe(3)
    act(() => clearOverride("a"))
    expect(renders.count).toBe(4)
    act(() => apply(del("todo", "a")))
    expect(renders.count).toBe(5)
    expect(screen.getByTestId("row-a").textContent).toBe("none")
  })

  it("follows a change of key and disposes watched rows it no longer needs", () => {
    const dispose = vi.spyOn(LiveRow.prototype, "dispose")
    const { todos } = seeded()
    const renders = renderCounter()
    const { rerender, unmount } = render(<TodoText todos={todos} id="a" renders={renders} />)
    rerender(<TodoText todos={todos} id="b" renders={renders} />)
    expect(screen.getByTestId("row-b").textContent).toBe("beta")
    expect(dispose).toHaveBeenCalledTimes(1)
    unmount()
    expect(dispose).toHaveBeenCalledTimes(2)
  })
})

describe("useStore", () => {
  it("subscribes to a collection and re-renders per change", () => {
    const { todos, apply } = seeded()
    const renders = renderCounter()
    function Count() {
      renders.count++
      return <p data-testid="count">{useStore(todos).length}</p>
    }
    render(<Count />)
    expect(screen.getByTestId("count").textContent).toBe("3")
    act(() => apply(ins("todo", "d", todo("d"))))
    expect(screen.getByTestId("count").textContent).toBe("4")
    expect(renders.count).toBe(2)
  })
})

describe("useStreamDB", () => {
  function fakeDB() {
    const opened: Array<{ id: number; close: ReturnType<typeof vi.fn> }> = []
    const open = () => {
      const db = { id: opened.length + 1, close: vi.fn(() => Promise.resolve()) }
      opened.push(db)
      return db
    }
    return { opened, open }
  }

  function Shows({ open, seen }: { open: () => { id: number; close(): Promise<void> }; seen: Array<number | undefined> }) {
    const db = useStreamDB(open)
    seen.push(db?.id)
    return <p data-testid="db">{db ? `db ${db.id}` : "opening"}</p>
  }

  it("opens once on mount and closes it on unmount", () => {
    const { opened, open } = fakeDB()
    const seen: Array<number | undefined> = []
    const { unmount } = render(<Shows open={open} seen={seen} />)
    expect(opened).toHaveLength(1)
    expect(seen[0]).toBeUndefined()
    expect(screen.getByTestId("db").textContent).toBe("db 1")
    expect(opened[0]!.close).not.toHaveBeenCalled()
    unmount()
    expect(opened[0]!.close).toHaveBeenCalledTimes(1)
  })

  it("under StrictMode closes every DB it opened and hands out only a live one", () => {
    const { opened, open } = fakeDB()
    const seen: Array<number | undefined> = []
    const { unmount } = render(
      <StrictMode>
        <Shows open={open} seen={seen} />
      </StrictMode>
    )
    const live = opened.filter((db) => db.close.mock.calls.length === 0)
    expect(live).toHaveLength(1)
    expect(screen.getByTestId("db").textContent).toBe(`db ${live[0]!.id}`)
    const closedIds = opened.filter((db) => db.close.mock.calls.length > 0).map((db) => db.id)
    // The component never rendered with a DB that had already been closed at the time.
    expect(seen.at(-1)).toBe(live[0]!.id)
    for (const id of closedIds) expect(seen.at(-1)).not.toBe(id)
    unmount()
    for (const db of opened) expect(db.close).toHaveBeenCalledTimes(1)
  })

  it("reopens when deps change, closing the previous DB", () => {
    const { opened, open } = fakeDB()
    function ByName({ name }: { name: string }) {
      const db = useStreamDB(open, [name])
      const renders = useRef(0)
      renders.current++
      return <p data-testid="db">{db ? `db ${db.id}` : "opening"}</p>
    }
    const { rerender, unmount } = render(<ByName name="a" />)
    rerender(<ByName name="b" />)
    expect(opened).toHaveLength(2)
    expect(opened[0]!.close).toHaveBeenCalledTimes(1)
    expect(opened[1]!.close).not.toHaveBeenCalled()
    expect(screen.getByTestId("db").textContent).toBe("db 2")
    unmount()
    expect(opened[1]!.close).toHaveBeenCalledTimes(1)
  })
})

/** Follows a collection's change feed: how many listeners are on it right now. */
function feedListeners(collection: Collection<Todo>): () => number {
  let active = 0
  const original = collection.onKeysChanged.bind(collection)
  collection.onKeysChanged = (listener) => {
    active++
    const stop = original(listener)
    let stopped = false
    return () => {
      if (!stopped) active--
      stopped = true
      stop()
    }
  }
  return () => active
}

describe("under StrictMode", () => {
  it("mounting and unmounting leaves no listener on the collection", () => {
    const { todos, apply } = seeded()
    const listening = feedListeners(todos)
    const { unmount } = render(
      <StrictMode>
        <OpenTodos todos={todos} renders={renderCounter()} />
        <TodoText todos={todos} id="a" renders={renderCounter()} />
      </StrictMode>
    )
    // While mounted: exactly the query and the row, whatever StrictMode created and dropped.
    expect(listening()).toBe(2)
    act(() => apply(upd("todo", "a", todo("a", { text: "alpha!", rank: 1 }))))
    expect(screen.getByTestId("row-a").textContent).toBe("alpha!")
    unmount()
    expect(listening()).toBe(0)
    expect(controlOf(todos).listenerCount()).toBe(0)
  })

  it("useLiveQuery and useRow keep updating after React's simulated unmount and remount", () => {
    const { todos, apply } = seeded()
    const renders = renderCounter()
    render(
      <StrictMode>
        <OpenTodos todos={todos} renders={renders} />
        <TodoText todos={todos} id="a" renders={renderCounter()} />
      </StrictMode>
    )
    expect(screen.getByTestId("open").textContent).toBe("alpha,beta")
    act(() => apply(ins("todo", "n", todo("n", { text: "new", rank: 0 }))))
    expect(screen.getByTestId("open").textContent).toBe("new,alpha,beta")
    act(() => apply(upd("todo", "a", todo("a", { text: "alpha", rank: 1, done: true }))))
    expect(screen.getByTestId("open").textContent).toBe("new,beta")
    expect(screen.getByTestId("row-a").textContent).toBe("alpha (done)")
  })
})
