import { parseArgs } from "node:util"
import { usageError } from "./usage-error"

export interface OptionSpec {
  type: "string" | "boolean"
  short?: string
  multiple?: boolean
  /** Shown in help: `--offset <offset>  where to start …`. */
  value?: string
  description: string
}

export type OptionSpecs = Record<string, OptionSpec>

/** Options every command takes. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  header: {
    type: "string",
    short: "H",
    multiple: true,
    value: "'Name: value'",
    description: "send a header on every request (repeatable)",
  },
  token: {
    type: "string",
    value: "token",
    description: "send Authorization: Bearer <token> (prefer DURABLE_STREAM_TOKEN: flags show in ps)",
  },
  "base-url": { type: "string", value: "url", description: "resolve stream names against this URL" },
  retries: { type: "string", value: "n", description: "retries after network errors, 429 and 5xx (default 8)" },
  quiet: { type: "boolean", short: "q", description: "no progress on stderr (errors and offset= still print)" },
  help: { type: "boolean", short: "h", description: "show help" },
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>
  positionals: string[]
}

/** Parses one command's arguments; any mistake is a UsageError naming it. */
export function parseCommandArgs(argv: readonly string[], specs: OptionSpecs): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {}
  for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...specs })) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) }
  }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true })
    return { values: values as ParsedArgs["values"], positionals }
  } catch (error) {
    throw usageError(describeParseError(error))
  }
}

/**
 * node:util's messages are long and sometimes quote a whole value (which may
 * be a secret): keep only the option's name.
 */
function describeParseError(error: unknown): string {
  const code = (error as { code?: string }).code
  const message = error instanceof Error ? error.message : String(error)
  const option = /'(-[^' ]*)/.exec(message)?.[1]
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? ""}`.trim()
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return option ? `option ${option} needs a value` : "an option is missing its value"
    default:
      return "could not parse the arguments"
  }
}

/** Help lines for a command's options, aligned. */
export function describeOptions(specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${spec.value ? ` <${spec.value}>` : ""}`
    return [flag, spec.description] as const
  })
  const width = Math.max(...rows.map(([flag]) => flag.length))
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`).join("\n")
}

export function stringOption(values: ParsedArgs["values"], name: string): string | undefined {
  const value = values[name]
  return typeof value === "string" ? value : undefined
}

export function booleanOption(values: ParsedArgs["values"], name: string): boolean {
  return values[name] === true
}

export function listOption(values: ParsedArgs["values"], name: string): string[] {
  const value = values[name]
  return Array.isArray(value) ? value : []
}

/** A whole number option (`--ttl`, `--port`, `--retries`), checked here so the error names the flag. */
export function wholeNumberOption(values: ParsedArgs["values"], name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const text = stringOption(values, name)
  if (text === undefined) return undefined
  if (!/^(0|[1-9]\d*)$/.test(text) || Number(text) > max) throw usageError(`--${name} must be a whole number up to ${max}`)
  return Number(text)
}
