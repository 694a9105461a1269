import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import { parse } from "yaml"
import { FEATURE_NAMES, type FeatureName } from "../protocol.ts"
import { substitute } from "./template.ts"

/** Steps that become a command to the adapter under test. */
export const ADAPTER_ACTIONS = [
  "create",
  "connect",
  "append",
  "close",
  "read",
  "head",
  "delete",
  "fork",
  "idempotent-append",
  "idempotent-append-batch",
  "idempotent-close",
  "idempotent-detach",
  "set-dynamic-header",
  "set-dynamic-param",
  "clear-dynamic",
  "validate",
  "benchmark",
] as const

/** Steps the runner performs itself, next to the client. */
export const RUNNER_ACTIONS = [
  "http",
  "fault",
  "clear-fault",
  "sleep",
  "await",
  "mark",
  "requests",
  "wait-for-request",
  "check",
] as const

export type Action = (typeof ADAPTER_ACTIONS)[number] | (typeof RUNNER_ACTIONS)[number]

const MODIFIERS = new Set(["expect", "save", "as", "note"])
const ACTIONS = new Set<string>([...ADAPTER_ACTIONS, ...RUNNER_ACTIONS])
const FEATURES = new Set<FeatureName>(FEATURE_NAMES)

export interface Step {
  action: Action
  args: unknown
  expect?: Record<string, unknown>
  /** Result fields to keep as variables: `{ name: "dotted.path" }`. */
  save?: Record<string, string>
  /** Run in the background under this name (adapter steps); see `await`. */
  as?: string
}

export interface Case {
  suite: string
  name: string
  about: string
  file: string
  requires: FeatureName[]
  steps: Step[]
}

interface RawCase {
  name?: unknown
  about?: unknown
  requires?: unknown
  each?: unknown
  except?: unknown
  steps?: unknown
}

type Params = Record<string, unknown>

/**
 * `each` is either a list of parameter sets, or a mapping of dimensions
 * (each a list of parameter sets) whose cartesian product is taken.
 * `except` drops the combinations that match all fields of one of its entries.
 */
function expandEach(each: unknown, except: unknown, where: string): Params[] {
  let combinations: Params[]
  if (Array.isArray(each)) {
    combinations = each as Params[]
  } else if (each !== null && typeof each === "object") {
    combinations = [{}]
    for (const [dimension, options] of Object.entries(each)) {
      if (!Array.isArray(options) || options.length === 0) throw new Error(`${where}: each.${dimension} must be a non-empty list`)
      combinations = combinations.flatMap((partial) => (options as Params[]).map((option) => ({ ...partial, ...option })))
    }
  } else {
    throw new Error(`${where}: "each" must be a list or a mapping of lists`)
  }
  if (combinations.length === 0) throw new Error(`${where}: "each" is empty`)
  if (except === undefined) return combinations
  if (!Array.isArray(except)) throw new Error(`${where}: "except" must be a list`)
  return combinations.filter(
    (params) => !(except as Params[]).some((rule) => Object.entries(rule).every(([key, value]) => params[key] === value))
  )
}

/** Loads every `cases/<suite>/*.yaml`, expanding `each` families into single cases. */
export function loadCases(root: string): Case[] {
  const cases: Case[] = []
  for (const suite of readdirSync(root).sort()) {
    const dir = join(root, suite)
    if (!statSync(dir).isDirectory()) continue
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith(".yaml") && !file.endsWith(".yml")) continue
      const path = join(dir, file)
      cases.push(...loadFile(suite, path, relative(join(root, ".."), path)))
    }
  }
  const seen = new Map<string, string>()
  for (const c of cases) {
    const id = `${c.suite}/${c.name}`
    const other = seen.get(id)
    if (other) throw new Error(`duplicate case ${id} in ${c.file} and ${other}`)
    seen.set(id, c.file)
  }
  return cases
}

function loadFile(suite: string, path: string, shownPath: string): Case[] {
  let doc: unknown
  try {
    doc = parse(readFileSync(path, "utf8"))
  } catch (error) {
    throw new Error(`${shownPath}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`)
  }
  const raw = (doc as { cases?: unknown } | null)?.cases
  if (!Array.isArray(raw)) throw new Error(`${shownPath}: expected a top-level "cases" list`)
  const out: Case[] = []
  raw.forEach((entry: RawCase, i) => {
    const where = `${shownPath} case #${i + 1}`
    if (typeof entry?.name !== "string" || entry.name === "") throw new Error(`${where}: needs a name`)
    if (typeof entry.about !== "string" || entry.about.trim() === "") {
      throw new Error(`${where} (${entry.name}): needs "about", the protocol behaviour it checks`)
    }
    const requires = parseRequires(entry.requires, where)
    if (entry.each === undefined) {
      out.push(build(suite, shownPath, entry.name, entry.about, requires, entry.steps, where))
      return
    }
    const combinations = expandEach(entry.each, (entry as { except?: unknown }).except, where)
    if (!entry.name.includes("${")) throw new Error(`${where}: a family name must use a parameter, e.g. "${"${label}"}"`)
    for (const params of combinations) {
      const vars = new Map(Object.entries(params))
      const name = String(substitute(entry.name, vars))
      // Parameters are substituted now; run-time variables (${stream}, saved
      // results) are left for the runner, which resolves them step by step.
      const steps = substituteParams(entry.steps, params)
      const about = String(substituteParams(entry.about, params))
      const extra = parseRequires(params.requires, where)
      out.push(build(suite, shownPath, name, about, [...requires, ...extra], steps, `${where} (${name})`))
    }
  })
  return out
}

function parseRequires(value: unknown, where: string): FeatureName[] {
  if (value === undefined) return []
  const list = Array.isArray(value) ? value : [value]
  for (const feature of list) {
    if (!FEATURES.has(feature as FeatureName)) throw new Error(`${where}: unknown feature ${String(feature)}`)
  }
  return list as FeatureName[]
}

/** Replaces `${param}` for the family's own parameters only. */
function substituteParams(value: unknown, params: Record<string, unknown>): unknown {
  if (typeof value === "string") {
    const whole = /^\$\{(\w+)\}$/.exec(value)
    if (whole && whole[1]! in params) return params[whole[1]!]
    return value.replace(/\$\{(\w+)\}/g, (text, name: string) => {
      if (!(name in params)) return text
      const param = params[name]
      return typeof param === "string" ? param : JSON.stringify(param)
    })
  }
  if (Array.isArray(value)) return value.map((item) => substituteParams(item, params))
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const substituted = substituteParams(item, params)
      // `$merge: ${params}` spreads a parameter's fields into this mapping.
      if (key === "$merge" && substituted !== null && typeof substituted === "object") Object.assign(out, substituted)
      else out[String(substituteParams(key, params))] = substituted
    }
    return out
  }
  return value
}

function build(
  suite: string,
  file: string,
  name: string,
  about: string,
  requires: FeatureName[],
  rawSteps: unknown,
  where: string
): Case {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(name)) throw new Error(`${where}: case names are lowercase-kebab, got ${JSON.stringify(name)}`)
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) throw new Error(`${where}: needs steps`)
  const steps = rawSteps.map((raw: unknown, i) => parseStep(raw, `${where} step ${i + 1}`))
  return { suite, name, about: about.trim(), file, requires: [...new Set(requires)], steps }
}

function parseStep(raw: unknown, where: string): Step {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new Error(`${where}: a step is a mapping`)
  const record = raw as Record<string, unknown>
  const actions = Object.keys(record).filter((key) => !MODIFIERS.has(key))
  if (actions.length !== 1 || !ACTIONS.has(actions[0]!)) {
    throw new Error(`${where}: expected exactly one action (${[...ACTIONS].join(", ")}), got ${actions.join(", ") || "none"}`)
  }
  const action = actions[0] as Action
  const step: Step = { action, args: record[action] ?? {} }
  if (record.expect !== undefined) {
    if (typeof record.expect !== "object" || record.expect === null) throw new Error(`${where}: expect must be a mapping`)
    step.expect = record.expect as Record<string, unknown>
  }
  if (record.save !== undefined) step.save = record.save as Record<string, string>
  if (record.as !== undefined) {
    if (!(ADAPTER_ACTIONS as readonly string[]).includes(action)) throw new Error(`${where}: only client steps run in the background`)
    step.as = String(record.as)
  }
  return step
}

/** Features a case needs because of what its steps do, on top of its `requires`. */
export function impliedFeatures(c: Case): FeatureName[] {
  const needs = new Set<FeatureName>(c.requires)
  for (const step of c.steps) {
    const args = (step.args ?? {}) as Record<string, unknown>
    switch (step.action) {
      case "read":
        if (args.live === "sse") needs.add("sse")
        if (args.live === "long-poll") needs.add("longPoll")
        if (args.live === "auto" || args.live === true) needs.add("auto")
        break
      case "fork":
        needs.add("fork")
        break
      case "set-dynamic-header":
      case "set-dynamic-param":
        needs.add("dynamicHeaders")
        break
      case "idempotent-append-batch":
        needs.add("batching")
        if (args.maxBatchItems !== undefined) needs.add("batchItems")
        break
      case "idempotent-append":
      case "idempotent-close":
        if (args.maxBatchItems !== undefined) needs.add("batchItems")
        break
      case "validate": {
        const target = (args.target ?? {}) as Record<string, unknown>
        if (target.target === "retry-options") needs.add("retryOptions")
        if (target.maxBatchItems !== undefined) needs.add("batchItems")
        break
      }
    }
  }
  return [...needs]
}
