/**
 * `${...}` substitution in case files. A string that is exactly one
 * placeholder takes the value's own type (number, object, ...); placeholders
 * inside longer strings are stringified. Besides variables (with dotted
 * paths into saved results) a few generators exist for data that would be
 * unreadable inline:
 *
 *   ${repeat(text, n)}     text repeated n times
 *   ${bytes(from, to)}     base64 of the byte values from..to inclusive
 *   ${isoIn(ms)}           RFC 3339 time ms milliseconds from now
 *   ${json(name)}          a variable serialised as JSON
 */
export type Variables = Map<string, unknown>

const PLACEHOLDER = /\$\{([^}]+)\}/g
const WHOLE = /^\$\{([^}]+)\}$/

export function substitute<T>(value: T, vars: Variables): T {
  if (typeof value === "string") return substituteString(value, vars) as T
  if (Array.isArray(value)) return value.map((item) => substitute(item, vars)) as T
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[substituteKey(key, vars)] = substitute(item, vars)
    return out as T
  }
  return value
}

function substituteKey(key: string, vars: Variables): string {
  return key.includes("${") ? String(substituteString(key, vars)) : key
}

function substituteString(text: string, vars: Variables): unknown {
  const whole = WHOLE.exec(text)
  if (whole) return evaluate(whole[1]!.trim(), vars)
  return text.replace(PLACEHOLDER, (_, expr: string) => {
    const value = evaluate(expr.trim(), vars)
    return typeof value === "string" ? value : JSON.stringify(value)
  })
}

function evaluate(expr: string, vars: Variables): unknown {
  const call = /^(\w+)\((.*)\)$/s.exec(expr)
  if (call) return callGenerator(call[1]!, splitArgs(call[2]!), vars)
  const [name, ...path] = expr.split(".")
  if (!vars.has(name!)) throw new Error(`undefined variable \${${expr}}`)
  let current: unknown = vars.get(name!)
  for (const part of path) {
    if (current === null || typeof current !== "object") {
      throw new Error(`\${${expr}}: ${part} is not reachable`)
    }
    current = (current as Record<string, unknown>)[part]
  }
  if (current === undefined) throw new Error(`\${${expr}} is undefined`)
  return current
}

/** Splits on commas outside quotes and parentheses (generators nest). */
function splitArgs(text: string): string[] {
  const args: string[] = []
  let current = ""
  let quote: string | undefined
  let depth = 0
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined
      current += ch
    } else if (ch === '"' || ch === "'") {
      quote = ch
      current += ch
    } else if (ch === "(" || ch === ")") {
      depth += ch === "(" ? 1 : -1
      current += ch
    } else if (ch === "," && depth === 0) {
      args.push(current.trim())
      current = ""
    } else {
      current += ch
    }
  }
  if (current.trim() !== "" || args.length > 0) args.push(current.trim())
  return args
}

function literal(arg: string, vars: Variables): unknown {
  if (/^".*"$/s.test(arg) || /^'.*'$/s.test(arg)) return arg.slice(1, -1)
  if (/^-?\d+(\.\d+)?$/.test(arg)) return Number(arg)
  return evaluate(arg, vars)
}

function callGenerator(name: string, rawArgs: string[], vars: Variables): unknown {
  const args = rawArgs.map((arg) => literal(arg, vars))
  switch (name) {
    case "repeat": {
      const [text, times] = args as [string, number]
      return String(text).repeat(Number(times))
    }
    case "bytes": {
      const [from, to] = args as [number, number]
      const out: number[] = []
      for (let b = from; b <= to; b++) out.push(b & 0xff)
      return Buffer.from(out).toString("base64")
    }
    case "isoIn":
      return new Date(Date.now() + Number(args[0])).toISOString()
    case "json":
      return JSON.stringify(args[0])
    default:
      throw new Error(`unknown generator ${name}()`)
  }
}
