/**
 * Benchmark mode (`--benchmark`): the `benchmark` command timed over a set of
 * scenarios. The adapter measures each operation with its own clock; the
 * runner prepares the streams an operation reads or appends to (the ones
 * `roundtrip` and `throughput_append` use are the adapter's to create),
 * repeats it, and reports percentiles and throughput per scenario. The
 * figures are for comparing clients on the same machine, not targets.
 */
import { basename } from "node:path"
import type { BenchmarkOperation, FeatureName, Result } from "../protocol.ts"
import { AdapterProcess } from "./adapter-process.ts"
import type { RunOptions } from "./options.ts"
import type { Counts, ResultsFile } from "./report.ts"
import type { ConformanceServer } from "./server.ts"

interface Scenario {
  id: string
  about: string
  requires?: FeatureName
  warmup: number
  rounds: number
  /** Prepares streams under `base` before the first round. */
  setup?: (server: ConformanceServer, base: string) => Promise<void>
  operation: (base: string, round: number) => BenchmarkOperation
}

const KB = 1024

export const SCENARIOS: Scenario[] = [
  {
    id: "append-latency",
    about: "one 100-byte append to an existing stream",
    warmup: 20,
    rounds: 200,
    setup: (server, base) => createStream(server, `${base}/stream`, "application/octet-stream"),
    operation: (base) => ({ op: "append", path: `${base}/stream`, size: 100 }),
  },
  {
    id: "read-latency",
    about: "one catch-up read of a 10 KiB stream",
    warmup: 20,
    rounds: 200,
    setup: async (server, base) => {
      await createStream(server, `${base}/stream`, "application/octet-stream")
      for (let i = 0; i < 10; i++) await appendTo(server, `${base}/stream`, "application/octet-stream", new Uint8Array(KB).fill(7))
    },
    operation: (base) => ({ op: "read", path: `${base}/stream` }),
  },
  {
    id: "create-latency",
    about: "creating a new stream",
    warmup: 10,
    rounds: 100,
    operation: (base, round) => ({ op: "create", path: `${base}/create-${round}`, contentType: "application/octet-stream" }),
  },
  {
    id: "roundtrip-long-poll",
    about: "append 100 bytes and see them arrive on a waiting long-poll reader (new stream each round)",
    requires: "longPoll",
    warmup: 10,
    rounds: 100,
    operation: (base, round) => ({ op: "roundtrip", path: `${base}/long-poll-${round}`, size: 100, live: "long-poll" }),
  },
  {
    id: "roundtrip-sse",
    about: "append 100 bytes and see them arrive on a waiting SSE reader (new text stream each round)",
    requires: "sse",
    warmup: 10,
    rounds: 100,
    operation: (base, round) => ({
      op: "roundtrip",
      path: `${base}/sse-${round}`,
      size: 100,
      live: "sse",
      contentType: "text/plain",
    }),
  },
  {
    id: "throughput-small-messages",
    about: "500 appends of 100 bytes, 10 in flight, to a stream the adapter creates",
    warmup: 2,
    rounds: 20,
    operation: (base) => ({ op: "throughput_append", path: `${base}/small`, count: 500, size: 100, concurrency: 10 }),
  },
  {
    id: "throughput-batched",
    about: "2 000 appends of 100 bytes, 50 in flight, for a client that batches",
    requires: "batching",
    warmup: 2,
    rounds: 20,
    operation: (base) => ({ op: "throughput_append", path: `${base}/batched`, count: 2000, size: 100, concurrency: 50 }),
  },
  {
    id: "throughput-read",
    about: "one catch-up read of 2 000 JSON messages",
    warmup: 2,
    rounds: 20,
    setup: async (server, base) => {
      const path = `${base}/json`
      await createStream(server, path, "application/json")
      for (let batch = 0; batch < 20; batch++) {
        const messages = Array.from({ length: 100 }, (_, i) => ({ n: batch * 100 + i, text: `message ${batch * 100 + i}` }))
        await appendTo(server, path, "application/json", JSON.stringify(messages))
      }
    },
    operation: (base) => ({ op: "throughput_read", path: `${base}/json`, expectedCount: 2000 }),
  },
]

export interface ScenarioFigures {
  scenario: string
  about: string
  status: "measured" | "skipped" | "failed"
  reason?: string
  samples: number
  ms?: { min: number; p50: number; p95: number; p99: number; mean: number; max: number }
  opsPerSecond?: number
  mbPerSecond?: number
}

/**
 * Times every scenario with each adapter. A scenario with valid figures
 * counts as passed, one that produced none (an error, a malformed result) as
 * failed, one needing a feature the adapter lacks as skipped.
 */
export async function runBenchmarks(
  adapters: string[],
  server: ConformanceServer,
  options: RunOptions,
  results: ResultsFile
): Promise<Counts> {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 }
  for (const adapterPath of adapters) {
    const adapter = new AdapterProcess(adapterPath, adapterPath === options.adapter ? options.adapterArgs : [])
    try {
      await adapter.init(server.url)
      const label = `${basename(adapterPath)} (${adapter.clientName} ${adapter.clientVersion})`
      process.stdout.write(`${label}\n`)
      const figures: ScenarioFigures[] = []
      for (const scenario of SCENARIOS) {
        const result = await runScenario(adapter, scenario, server, options.quick)
        figures.push(result)
        process.stdout.write(`  ${describeFigures(result)}\n`)
        if (result.status === "measured") counts.passed++
        else if (result.status === "failed") counts.failed++
        else counts.skipped++
      }
      results.runs.push({ adapter: adapterPath, client: { name: adapter.clientName, version: adapter.clientVersion }, scenarios: figures })
    } finally {
      await adapter.stop()
    }
  }
  results.total = counts
  return counts
}

async function runScenario(adapter: AdapterProcess, scenario: Scenario, server: ConformanceServer, quick: boolean): Promise<ScenarioFigures> {
  const figures: ScenarioFigures = { scenario: scenario.id, about: scenario.about, status: "measured", samples: 0 }
  if (scenario.requires && adapter.features[scenario.requires] !== true) {
    return { ...figures, status: "skipped", reason: `needs ${scenario.requires}` }
  }
  const base = `/v1/stream/bench-${scenario.id}-${Math.random().toString(36).slice(2, 10)}`
  const warmup = quick ? Math.min(1, scenario.warmup) : scenario.warmup
  const rounds = quick ? Math.max(5, Math.ceil(scenario.rounds / 10)) : scenario.rounds
  try {
    await scenario.setup?.(server, base)
    const durations: number[] = []
    let messages = 0
    let bytes = 0
    for (let round = 0; round < warmup + rounds; round++) {
      const measured = round >= warmup
      const result = await adapter.send(
        { type: "benchmark", iterationId: `${measured ? "round" : "warmup"}-${round}`, operation: scenario.operation(base, round) },
        60_000
      )
      const sample = sampleOf(result)
      if (typeof sample === "string") return { ...figures, status: "failed", reason: `round ${round + 1}: ${sample}` }
      if (!measured) continue
      durations.push(sample.ms)
      messages += sample.messages
      bytes += sample.bytes
    }
    const seconds = durations.reduce((sum, ms) => sum + ms, 0) / 1000
    figures.samples = durations.length
    figures.ms = stats(durations)
    if (messages > 0 && seconds > 0) figures.opsPerSecond = messages / seconds
    if (bytes > 0 && seconds > 0 && scenario.id.startsWith("throughput")) figures.mbPerSecond = bytes / (1024 * 1024) / seconds
    return figures
  } catch (error) {
    return { ...figures, status: "failed", reason: error instanceof Error ? error.message : String(error) }
  }
}

/** A benchmark result's figures, or why it is not a valid sample. */
function sampleOf(result: Result): { ms: number; messages: number; bytes: number } | string {
  if (!result.success) return `${result.errorCode}${result.status === undefined ? "" : ` (${result.status})`}: ${result.message}`
  const duration = typeof result.durationNs === "string" ? result.durationNs : ""
  if (!/^\d+$/.test(duration)) return `durationNs is not an integer string: ${JSON.stringify(result.durationNs)}`
  const metrics = (result.metrics ?? {}) as Record<string, unknown>
  const number = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0)
  return { ms: Number(BigInt(duration)) / 1e6, messages: number(metrics.messagesProcessed), bytes: number(metrics.bytesTransferred) }
}

function stats(samples: number[]): NonNullable<ScenarioFigures["ms"]> {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!
  const round = (n: number): number => Math.round(n * 100) / 100
  return {
    min: round(sorted[0]!),
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    p99: round(at(0.99)),
    mean: round(samples.reduce((sum, ms) => sum + ms, 0) / samples.length),
    max: round(sorted[sorted.length - 1]!),
  }
}

function describeFigures(f: ScenarioFigures): string {
  const name = f.scenario.padEnd(26)
  if (f.status !== "measured") return `${name} ${f.status}: ${f.reason ?? ""}`
  const ms = f.ms!
  let line = `${name} p50 ${ms.p50.toFixed(2)} ms, p95 ${ms.p95.toFixed(2)} ms (${f.samples} rounds)`
  if (f.opsPerSecond !== undefined) line += `, ${Math.round(f.opsPerSecond)} msg/s`
  if (f.mbPerSecond !== undefined) line += `, ${f.mbPerSecond.toFixed(2)} MiB/s`
  return line
}

async function createStream(server: ConformanceServer, path: string, contentType: string): Promise<void> {
  const response = await fetch(`${server.url}${path}`, { method: "PUT", headers: { "content-type": contentType } })
  if (!response.ok) throw new Error(`setup: PUT ${path} answered ${response.status}`)
}

async function appendTo(server: ConformanceServer, path: string, contentType: string, body: string | Uint8Array<ArrayBuffer>): Promise<void> {
  const response = await fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": contentType }, body })
  if (!response.ok) throw new Error(`setup: POST ${path} answered ${response.status}`)
}
