import type { BenchmarkCommand, Result } from "../protocol.ts"
import type { AdapterState } from "./state.ts"

/**
 * Times one operation with the SDK. The runner only checks that timings
 * come back well-formed; the numbers are for people comparing clients.
 */
export async function benchmark(state: AdapterState, cmd: BenchmarkCommand): Promise<Result> {
  const op = cmd.operation
  const metrics: Record<string, number> = {}
  const started = process.hrtime.bigint()
  switch (op.op) {
    case "create": {
      const result = await state.stream(op.path).create({ contentType: op.contentType })
      state.rememberContentType(op.path, result.contentType)
      break
    }
    case "append": {
      await state.stream(op.path).append(new Uint8Array(op.size).fill(42))
      metrics.bytesTransferred = op.size
      break
    }
    case "read": {
      const bytes = await state.stream(op.path).read({ offset: op.offset }).bytes()
      metrics.bytesTransferred = bytes.length
      break
    }
    case "roundtrip": {
      const stream = state.stream(op.path)
      const start = (await stream.head()).offset
      const session = stream.read({ offset: start, live: op.live ?? "long-poll" })
      const appended = stream.append(new Uint8Array(op.size).fill(42))
      let received = 0
      for await (const chunk of session) {
        received += chunk.data.length
        if (received >= op.size) break
      }
      await appended
      metrics.bytesTransferred = received
      break
    }
    case "throughput_append": {
      const stream = state.stream(op.path)
      const body = new Uint8Array(op.size).fill(42)
      let next = 0
      const worker = async (): Promise<void> => {
        while (next < op.count) {
          next++
          await stream.append(body)
        }
      }
      await Promise.all(Array.from({ length: Math.max(1, op.concurrency) }, worker))
      metrics.messagesProcessed = op.count
      metrics.bytesTransferred = op.count * op.size
      break
    }
    case "throughput_read": {
      const bytes = await state.stream(op.path).read().bytes()
      metrics.bytesTransferred = bytes.length
      if (op.expectedCount !== undefined) metrics.messagesProcessed = op.expectedCount
      break
    }
  }
  const durationNs = process.hrtime.bigint() - started
  const seconds = Number(durationNs) / 1e9
  if (metrics.messagesProcessed !== undefined && seconds > 0) {
    metrics.opsPerSecond = metrics.messagesProcessed / seconds
  }
  if (metrics.bytesTransferred !== undefined && seconds > 0) {
    metrics.bytesPerSecond = metrics.bytesTransferred / seconds
  }
  return { type: "benchmark", success: true, iterationId: cmd.iterationId, durationNs: durationNs.toString(), metrics }
}
