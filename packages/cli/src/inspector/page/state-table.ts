import { MaterializedState, isChangeMessage, isControlMessage, type StateMessage } from "@durable-client/state"

/** Most rows drawn per type; the rest are counted, not drawn. */
const MAX_ROWS = 500
/** Most value fields shown as columns; the rest stay in the JSON of the "…" column. */
const MAX_COLUMNS = 8

export function isStateMessage(message: unknown): message is StateMessage {
  return isChangeMessage(message) || isControlMessage(message)
}

/**
 * Live tables of a State Protocol stream: one per entity type, a row per
 * key, applied by the SDK's MaterializedState (snapshots held back until
 * their end, resets clear). Rows changed by the last batch flash.
 */
export function createStateTables(container: HTMLElement) {
  const state = new MaterializedState()
  let changed = new Map<string, Set<string>>()
  state.subscribe((changes) => {
    changed = new Map()
    for (const change of changes) {
      if (!changed.has(change.type)) changed.set(change.type, new Set())
      changed.get(change.type)!.add(change.key)
    }
  })

  function render(): void {
    const tables = state.types().sort().map((type) => table(type))
    container.replaceChildren(...tables)
    if (tables.length === 0) container.append(text("p", "no rows", "muted"))
  }

  function table(type: string): HTMLTableElement {
    const rows = [...state.entries<unknown>(type)]
    const columns = columnsOf(rows.map(([, value]) => value))
    const element = document.createElement("table")
    element.dataset.testid = "state-table"
    element.dataset.type = type
    element.append(text("caption", `${type} (${rows.length})`))
    const head = document.createElement("tr")
    for (const column of ["key", ...columns.fields, ...(columns.rest ? ["…"] : [])]) head.append(text("th", column))
    element.append(head)
    for (const [key, value] of rows.slice(0, MAX_ROWS)) {
      const row = document.createElement("tr")
      row.dataset.testid = "state-row"
      row.dataset.key = key
      if (changed.get(type)?.has(key)) row.className = "changed"
      row.append(text("td", key))
      if (columns.fields.length === 1 && columns.fields[0] === "value") row.append(text("td", cell(value)))
      else {
        const record = (value ?? {}) as Record<string, unknown>
        for (const field of columns.fields) row.append(text("td", field in record ? cell(record[field]) : ""))
        if (columns.rest) {
          const rest = Object.fromEntries(Object.entries(record).filter(([field]) => !columns.fields.includes(field)))
          row.append(text("td", Object.keys(rest).length > 0 ? JSON.stringify(rest) : ""))
        }
      }
      element.append(row)
    }
    if (rows.length > MAX_ROWS) element.append(text("caption", `${rows.length - MAX_ROWS} more rows not shown`, "muted"))
    return element
  }

  return {
    /** Applies the State Protocol messages of one batch, in order, and redraws. */
    apply(messages: readonly unknown[]): void {
      const stateMessages = messages.filter(isStateMessage)
      if (stateMessages.length === 0) return
      state.apply(stateMessages)
      render()
    },
    /** Row counts per type, for diagnostics. */
    counts(): Record<string, number> {
      return Object.fromEntries(state.types().map((type) => [type, state.size(type)]))
    },
  }
}

function columnsOf(values: readonly unknown[]): { fields: string[]; rest: boolean } {
  const fields: string[] = []
  let objects = 0
  for (const value of values) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) continue
    objects++
    for (const field of Object.keys(value)) if (!fields.includes(field)) fields.push(field)
  }
  if (objects === 0) return { fields: ["value"], rest: false }
  return { fields: fields.slice(0, MAX_COLUMNS), rest: fields.length > MAX_COLUMNS }
}

function cell(value: unknown): string {
  if (value === undefined) return ""
  return typeof value === "string" ? value : JSON.stringify(value)
}

function text<K extends keyof HTMLElementTagNameMap>(tag: K, content: string, className?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  element.textContent = content
  if (className) element.className = className
  return element
}
