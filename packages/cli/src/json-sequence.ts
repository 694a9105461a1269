/**
 * Splits text into JSON values as it arrives: JSON lines, concatenated
 * values and pretty-printed documents alike (`{"a":1}\n{"a":2}`,
 * `[1] [2]`, a multi-line object). Only finds where each value ends; the
 * caller parses it, so syntax errors surface from `JSON.parse` with the
 * value's number. Lets `append --json` stream stdin instead of waiting for
 * its end (`tail -f log.jsonl | durable-client append …`).
 */
export interface JsonSequence {
  /** Feeds text; returns the values completed by it, as text. */
  push(text: string): string[]
  /** Input ended: returns a last value that ended with the input (a bare number), if any. */
  end(): string[]
}

const WHITESPACE = /\s/

export function createJsonSequence(): JsonSequence {
  let pending = ""
  // Scan state of the value that starts at pending[0] (leading whitespace is dropped).
  let scanned = 0
  let depth = 0
  let inString = false
  let escaped = false

  function reset(consumed: number): void {
    pending = pending.slice(consumed)
    scanned = 0
    depth = 0
    inString = false
    escaped = false
  }

  function take(): string[] {
    const values: string[] = []
    for (;;) {
      const start = pending.search(/\S/)
      if (start === -1) {
        pending = ""
        scanned = 0
        return values
      }
      if (start > 0) {
        pending = pending.slice(start)
        scanned = Math.max(0, scanned - start)
      }
      const end = findEnd()
      if (end === undefined) return values
      values.push(pending.slice(0, end))
      reset(end)
    }
  }

  /** Index just past the value at pending[0], or undefined if it has not ended yet. */
  function findEnd(): number | undefined {
    const first = pending[0]!
    const container = first === "{" || first === "["
    if (!container && first !== '"') {
      // A scalar (number, true, false, null, or garbage JSON.parse will name) ends at whitespace or a new value.
      for (let i = Math.max(scanned, 1); i < pending.length; i++) {
        const char = pending[i]!
        if (WHITESPACE.test(char) || char === "{" || char === "[" || char === '"') return i
      }
      scanned = pending.length
      return undefined
    }
    for (let i = scanned; i < pending.length; i++) {
      const char = pending[i]!
      if (inString) {
        if (escaped) escaped = false
        else if (char === "\\") escaped = true
        else if (char === '"') {
          inString = false
          if (!container) return i + 1
        }
      } else if (char === '"') {
        inString = true
      } else if (char === "{" || char === "[") {
        depth++
      } else if (char === "}" || char === "]") {
        depth--
        if (depth === 0) return i + 1
      }
    }
    scanned = pending.length
    return undefined
  }

  return {
    push(text) {
      pending += text
      return take()
    },
    end() {
      const values = take()
      const rest = pending.trim()
      pending = ""
      reset(0)
      if (rest !== "") values.push(rest)
      return values
    },
  }
}
