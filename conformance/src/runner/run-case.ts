import { randomBytes } from "node:crypto"
import type { Result } from "../protocol.ts"
import { AdapterFailure, type AdapterProcess } from "./adapter-process.ts"
import { ADAPTER_ACTIONS, type Case, type Step } from "./cases.ts"
import { checkExpectation, derive, describe, match, type ResultLike } from "./expect.ts"
import type { ConformanceServer, LoggedRequest } from "./server.ts"
import { substitute, type Variables } from "./template.ts"

/** Extra time a client command gets on top of its own `timeoutMs`. */
const COMMAND_GRACE_MS = 20_000
const BACKGROUND_DRAIN_MS = 30_000

/** Commands that act on a stream; without a `path` they use the case's stream. */
const PATH_COMMANDS = new Set<string>(
  ADAPTER_ACTIONS.filter((action) => !["set-dynamic-header", "set-dynamic-param", "clear-dynamic", "validate", "benchmark"].includes(action))
)

export type Outcome = { status: "pass" } | { status: "fail"; reason: string; adapterBroken: boolean }

interface Timed {
  result: Result
  elapsedMs: number
}

/** A step failed; the message says which step and why. */
class StepFailure extends Error {}

/**
 * Runs one case against one adapter process. Every case gets its own stream
 * path (`${stream}`), so cases never see each other's data, faults or
 * request logs.
 */
export class CaseRun {
  private readonly vars: Variables = new Map()
  private readonly background = new Map<string, Promise<Timed>>()
  private readonly faultPaths = new Set<string>()
  private usedDynamic = false
  readonly stream: string

  constructor(
    private readonly testCase: Case,
    private readonly adapter: AdapterProcess,
    private readonly server: ConformanceServer
  ) {
    const slug = `${testCase.suite}.${testCase.name}`.slice(0, 80)
    this.stream = `/v1/stream/${slug}.${randomBytes(4).toString("hex")}`
    this.vars.set("stream", this.stream)
    this.vars.set("server", server.url)
  }

  async run(): Promise<Outcome> {
    let index = 0
    let label = "setup"
    try {
      for (const step of this.testCase.steps) {
        index++
        label = `step ${index} (${step.action})`
        await this.runStep(step, index)
      }
      await this.drainBackground()
      await this.cleanUp()
      return { status: "pass" }
    } catch (error) {
      const adapterBroken = error instanceof AdapterFailure
      const reason =
        error instanceof StepFailure
          ? error.message
          : `${label}: ${error instanceof Error ? error.message : String(error)}`
      if (!adapterBroken) {
        await this.drainBackground().catch(() => undefined)
        await this.cleanUp().catch(() => undefined)
      }
      return { status: "fail", reason, adapterBroken }
    }
  }

  private async runStep(step: Step, index: number): Promise<void> {
    const label = `step ${index} (${step.action})`
    let args: unknown
    try {
      args = substitute(step.args, this.vars)
    } catch (error) {
      throw new StepFailure(`${label}: ${error instanceof Error ? error.message : String(error)}`)
    }
    const outcome = await this.perform(step, args, label)
    if (outcome === undefined) return
    this.verify(step, outcome, label)
  }

  /** Performs the step; returns what its expectations apply to, if anything. */
  private async perform(step: Step, args: unknown, label: string): Promise<ResultLike | undefined> {
    switch (step.action) {
      case "http":
        return this.http(args as HttpArgs)
      case "fault":
        await this.fault(args as Record<string, unknown>)
        return undefined
      case "clear-fault":
        await this.fault({ ...(args as Record<string, unknown>), delayMs: 0, probability: 0 })
        return undefined
      case "sleep":
        await new Promise((resolve) => setTimeout(resolve, Number(args)))
        return undefined
      case "mark":
        this.vars.set(String(args), this.server.nextIndex)
        return undefined
      case "requests":
        return this.requests(args as RequestsArgs)
      case "wait-for-request":
        await this.waitForRequest(args as RequestsArgs & { timeoutMs?: number }, label)
        return undefined
      case "check":
        this.check(args, label)
        return undefined
      case "await": {
        const pending = this.background.get(String(args))
        if (!pending) throw new StepFailure(`${label}: nothing runs in the background as ${String(args)}`)
        this.background.delete(String(args))
        const timed = await pending
        return { ...timed.result, elapsedMs: timed.elapsedMs }
      }
      default:
        return this.command(step, args as Record<string, unknown>)
    }
  }

  private verify(step: Step, result: ResultLike, label: string): void {
    const isClientStep = step.action !== "http" && step.action !== "requests"
    const expect = step.expect ?? (isClientStep ? { ok: true } : {})
    let substituted: Record<string, unknown>
    try {
      substituted = substitute(expect, this.vars)
    } catch (error) {
      throw new StepFailure(`${label}: ${error instanceof Error ? error.message : String(error)}`)
    }
    const problem =
      step.action === "requests"
        ? checkRequests(result, substituted)
        : checkExpectation(result, substituted)
    if (problem) throw new StepFailure(`${label}: ${problem}`)
    for (const [name, field] of Object.entries(step.save ?? {})) {
      this.vars.set(name, derive(result, field))
    }
  }

  private async command(step: Step, args: Record<string, unknown>): Promise<ResultLike | undefined> {
    const command: Record<string, unknown> & { type: string } = { type: step.action, ...args }
    if (PATH_COMMANDS.has(step.action) && command.path === undefined) command.path = this.stream
    if (step.action === "fork" && command.source === undefined) command.source = this.stream
    // Cases say `live: auto`; on the wire the public protocol spells it `true`.
    if (step.action === "read" && command.live === "auto") command.live = true
    if (step.action === "benchmark") {
      const operation = { ...(command.operation as Record<string, unknown>) }
      operation.path ??= this.stream
      command.operation = operation
    }
    if (step.action.startsWith("set-dynamic") || step.action === "clear-dynamic") this.usedDynamic = true
    // One command at a time: anything still running in the background finishes first.
    await this.waitForBackground()
    const timeout = (typeof args.timeoutMs === "number" ? args.timeoutMs : 0) + COMMAND_GRACE_MS
    const started = Date.now()
    const sent = this.adapter.send(command, timeout).then((result) => ({ result, elapsedMs: Date.now() - started }))
    if (step.as !== undefined) {
      sent.catch(() => undefined)
      this.background.set(step.as, sent)
      return undefined
    }
    const timed = await sent
    return { ...timed.result, elapsedMs: timed.elapsedMs }
  }

  private async waitForBackground(): Promise<void> {
    const results = new Map<string, Timed>()
    for (const [name, pending] of this.background) results.set(name, await pending)
    for (const [name, timed] of results) this.background.set(name, Promise.resolve(timed))
  }

  private async drainBackground(): Promise<void> {
    const all = Promise.all(this.background.values())
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([
        all,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new AdapterFailure("a background command never finished")), BACKGROUND_DRAIN_MS)
        }),
      ])
    } finally {
      clearTimeout(timer)
    }
    this.background.clear()
  }

  private async cleanUp(): Promise<void> {
    if (this.usedDynamic) await this.adapter.send({ type: "clear-dynamic" }, COMMAND_GRACE_MS)
    for (const path of this.faultPaths) {
      await this.injectFault({ path, delayMs: 0, probability: 0 })
    }
  }

  private async http(args: HttpArgs): Promise<ResultLike> {
    const url = new URL(`${this.server.url}${args.path ?? this.stream}`)
    for (const [key, value] of Object.entries(args.query ?? {})) url.searchParams.append(key, String(value))
    const init: RequestInit = { method: args.method ?? "GET", headers: args.headers ?? {} }
    if (args.body !== undefined) init.body = args.body
    if (args.bodyBase64 !== undefined) init.body = Buffer.from(args.bodyBase64, "base64")
    const response = await fetch(url, init)
    const body = Buffer.from(await response.arrayBuffer())
    const headers: Record<string, string> = {}
    response.headers.forEach((value, key) => {
      headers[key] = value
    })
    return { success: true, status: response.status, headers, body: body.toString("utf8"), bodyBase64: body.toString("base64") }
  }

  private async fault(args: Record<string, unknown>): Promise<void> {
    const path = typeof args.path === "string" ? args.path : this.stream
    this.faultPaths.add(path)
    await this.injectFault({ ...args, path })
  }

  private async injectFault(fault: Record<string, unknown>): Promise<void> {
    // The HTTP control endpoint, as an out-of-process runner would use it.
    const response = await fetch(`${this.server.url}/_test/inject-error`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(fault),
    })
    if (!response.ok) throw new Error(`fault injection refused (${response.status}): ${await response.text()}`)
  }

  private requests(args: RequestsArgs): ResultLike {
    const since = args.since === undefined ? 0 : Number(this.vars.get(args.since) ?? args.since)
    const logged = this.server
      .requests(args.path ?? this.stream)
      .filter((request) => request.index >= since)
      .filter((request) => args.method === undefined || request.method === args.method.toUpperCase())
      .filter((request) => args.where === undefined || checkExpectation(describeRequest(request), args.where) === undefined)
    const list = logged.map(describeRequest)
    const gapsMs = logged.slice(1).map((request, i) => request.at - logged[i]!.at)
    return { success: true, count: list.length, list, first: list[0], last: list[list.length - 1], gapsMs }
  }

  /**
   * Waits until the server has seen a matching request, e.g. until a
   * background reader has really started, so a following append cannot
   * overtake it however slowly the client starts.
   */
  private async waitForRequest(args: RequestsArgs & { timeoutMs?: number }, label: string): Promise<void> {
    const deadline = Date.now() + (args.timeoutMs ?? 10_000)
    while (Number(this.requests(args).count) === 0) {
      if (Date.now() > deadline) throw new StepFailure(`${label}: no matching request reached the server`)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  }

  private check(args: unknown, label: string): void {
    const checks = Array.isArray(args) ? args : [args]
    for (const item of checks as Array<{ value?: unknown; is?: unknown; if?: { value?: unknown; is?: unknown } }>) {
      // `if` makes a check conditional, for outcomes the protocol leaves open
      // (an append under a 5xx may fail or succeed, but must be consistent).
      if (item.if && match(item.if.value, item.if.is) !== undefined) continue
      const problem = match(item.value, item.is)
      if (problem) throw new StepFailure(`${label}: ${describe(item.value)}: ${problem}`)
    }
  }
}

interface HttpArgs {
  method?: string
  path?: string
  query?: Record<string, string>
  headers?: Record<string, string>
  body?: string
  bodyBase64?: string
}

interface RequestsArgs {
  path?: string
  method?: string
  /** Only requests matching this expectation, e.g. `{ query.live: long-poll }`. */
  where?: Record<string, unknown>
  /** A `mark` name: only requests that arrived after it. */
  since?: string
}

function describeRequest(request: LoggedRequest): Record<string, unknown> {
  const sorted = [...request.queryKeys].sort()
  return {
    ...request,
    queryKeysSorted: request.queryKeys.every((key, i) => key === sorted[i]),
  }
}

/**
 * Expectations on a request log: `count`, `every`, `some`, `none` (each an
 * expectation applied per request), plus plain fields such as `first.query.live`
 * or `gapsMs.0`.
 */
function checkRequests(result: ResultLike, expect: Record<string, unknown>): string | undefined {
  const list = (result.list ?? []) as Array<Record<string, unknown>>
  const plain: Record<string, unknown> = {}
  for (const [key, expected] of Object.entries(expect)) {
    const per = expected as Record<string, unknown>
    if (key === "every" || key === "some" || key === "none") {
      const failures = list.map((request) => checkExpectation(request, per))
      // "Every request" over no requests at all would pass without checking anything.
      if (key === "every" && list.length === 0) return `expected requests matching ${describe(per)}, but there were none`
      if (key === "every") {
        const i = failures.findIndex((failure) => failure !== undefined)
        if (i !== -1) return `request ${i + 1} of ${list.length} (${requestLabel(list[i]!)}): ${failures[i]!}`
      } else if (key === "some") {
        if (!failures.some((failure) => failure === undefined)) {
          return `no request matched ${describe(per)}; requests: ${list.map(requestLabel).join(", ") || "none"}`
        }
      } else {
        const i = failures.findIndex((failure) => failure === undefined)
        if (i !== -1) return `request ${i + 1} (${requestLabel(list[i]!)}) should not match ${describe(per)}`
      }
    } else {
      plain[key] = expected
    }
  }
  const problem = checkExpectation(result, plain)
  return problem === undefined ? undefined : `${problem}; requests: ${list.map(requestLabel).join(", ") || "none"}`
}

function requestLabel(request: Record<string, unknown>): string {
  const query = request.query as Record<string, string>
  const keys = request.queryKeys as string[]
  const qs = keys.map((key) => `${key}=${query[key]}`).join("&")
  return `${String(request.method)} ${qs ? `?${qs}` : ""}${request.status === undefined ? "" : ` → ${String(request.status)}`}`
}
