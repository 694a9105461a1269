import { IdempotentProducer, isDurableStreamError, type DurableStream } from "@durable-client/json"
import type { BenchmarkCommand, Result } from "../protocol.ts"
import type { AdapterState } from "./state.ts"

const DEFAULT_CONTENT_TYPE = "application/octet-stream"

/**
 * Times one operation with the SDK, as an application would do it: handles
 * know their content type after the first command (no HEAD per append), and
 * operations that need their own stream (`roundtrip`, `throughput_append`)
 * create it first. Creating is setup: the clock starts after it.
 */
export async function benchmark(state: AdapterState, cmd: BenchmarkCommand): Promise<Result> {
  const op = cmd.operation
  const metrics: Record<string, number> = {}
  let started = process.hrtime.bigint()
  switch (op.op) {
    case "create": {
      const result = await state.stream(op.path).create({ contentType: op.contentType ?? DEFAULT_CONTENT_TYPE })
      state.rememberContentType(op.path, result.contentType)
      break
    }
    case "append": {
      const stream = state.stream(op.path)
      await stream.append(new Uint8Array(op.size).fill(42))
      state.learn(op.path, stream)
      metrics.bytesTransferred = op.size
      break
    }
    case "read": {
      const stream = state.stream(op.path)
      const bytes = await stream.read({ offset: op.offset }).bytes()
      state.learn(op.path, stream)
      metrics.bytesTransferred = bytes.length
      break
    }
    case "roundtrip": {
      // Append, then see the same bytes arrive on a live read that was
      // already waiting at the tail: the latency a live reader experiences.
      const stream = state.stream(op.path)
      const tail = await ensureStream(state, stream, op.path, op.contentType)
      started = process.hrtime.bigint()
      const session = stream.read({ offset: tail, live: op.live ?? "long-poll" })
      const arrived = (async () => {
        let received = 0
        for await (const chunk of session) {
          received += chunk.data.length
          if (received >= op.size) break
        }
        return received
      })()
      await stream.append(new Uint8Array(op.size).fill(42))
      metrics.bytesTransferred = await arrived
      await session.cancel()
      break
    }
    case "throughput_append": {
      const stream = state.stream(op.path)
      await ensureStream(state, stream, op.path, undefined)
      started = process.hrtime.bigint()
      // Many small messages as a client sends them in bulk: through the
      // producer, batched, with `concurrency` requests in flight.
      const producer = new IdempotentProducer(stream, `bench-${cmd.iterationId}`, {
        lingerMs: 0,
        maxInFlight: Math.max(1, op.concurrency),
      })
      const body = new Uint8Array(op.size).fill(42)
      const acked = Promise.all(Array.from({ length: op.count }, () => producer.append(body)))
      acked.catch(() => undefined)
      try {
        await producer.flush()
        await acked
      } finally {
        await producer.detach().catch(() => undefined)
      }
      metrics.messagesProcessed = op.count
      metrics.bytesTransferred = op.count * op.size
      break
    }
    case "throughput_read": {
      const stream = state.stream(op.path)
      await state.contentTypeOf(stream, op.path)
      if (state.isJson(op.path)) {
        const messages = await state.jsonStream(op.path).read().json()
        metrics.messagesProcessed = messages.length
        metrics.bytesTransferred = JSON.stringify(messages).length
      } else {
        const bytes = await stream.read().bytes()
        metrics.bytesTransferred = bytes.length
        if (op.expectedCount !== undefined) metrics.messagesProcessed = op.expectedCount
      }
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

/**
 * Creates the stream unless this adapter already knows it, and returns its
 * tail. A stream that exists with another configuration is used as it is.
 */
async function ensureStream(
  state: AdapterState,
  stream: DurableStream,
  path: string,
  contentType: string | undefined
): Promise<string | undefined> {
  try {
    const result = await stream.create({ contentType: contentType ?? stream.contentType ?? DEFAULT_CONTENT_TYPE })
    state.rememberContentType(path, result.contentType)
    return result.offset
  } catch (error) {
    if (!isDurableStreamError(error) || error.code !== "CONFLICT") throw error
    const info = await stream.head()
    state.rememberContentType(path, info.contentType)
    return info.offset
  }
}
