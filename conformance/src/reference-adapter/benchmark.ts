import { DurableStreamError, IdempotentProducer, stream as openStream, type DurableStream } from "@durable-streams/client"
import type { BenchmarkCommand, Result } from "../protocol.ts"
import type { ReferenceState } from "./state.ts"

const DEFAULT_CONTENT_TYPE = "application/octet-stream"

/**
 * Times one operation with this client, the way ours is timed: the content
 * type is learned once (no HEAD per append), and `roundtrip` and
 * `throughput_append` create their stream first, before the clock starts.
 */
export async function benchmark(state: ReferenceState, cmd: BenchmarkCommand): Promise<Result> {
  const op = cmd.operation
  const metrics: Record<string, number> = {}
  let started = process.hrtime.bigint()
  switch (op.op) {
    case "create": {
      const contentType = op.contentType ?? DEFAULT_CONTENT_TYPE
      await state.handle(op.path, undefined, contentType).create({ contentType })
      state.rememberContentType(op.path, contentType)
      break
    }
    case "append": {
      if (state.contentType(op.path) === undefined) {
        await state.learnContentType(op.path)
        started = process.hrtime.bigint()
      }
      await state.handle(op.path).append(new Uint8Array(op.size).fill(42))
      metrics.bytesTransferred = op.size
      break
    }
    case "read": {
      const response = await openStream({ url: state.url(op.path), offset: op.offset, live: false, fetch: state.fetch, warnOnHttp: false })
      metrics.bytesTransferred = (await response.body()).length
      break
    }
    case "roundtrip": {
      const handle = state.handle(op.path, undefined, op.contentType ?? DEFAULT_CONTENT_TYPE)
      const tail = await ensureStream(state, handle, op.path, op.contentType)
      started = process.hrtime.bigint()
      const response = await openStream({
        url: state.url(op.path),
        offset: tail,
        live: op.live ?? "long-poll",
        fetch: state.fetch,
        warnOnHttp: false,
      })
      let received = 0
      const arrived = new Promise<void>((resolve) => {
        response.subscribeBytes((chunk) => {
          received += chunk.data.length
          if (received >= op.size) resolve()
        })
      })
      await handle.append(new Uint8Array(op.size).fill(42))
      await arrived
      response.cancel()
      metrics.bytesTransferred = received
      break
    }
    case "throughput_append": {
      const handle = state.handle(op.path)
      await ensureStream(state, handle, op.path, undefined)
      started = process.hrtime.bigint()
      const errors: Error[] = []
      const producer = new IdempotentProducer(state.handle(op.path), `bench-${cmd.iterationId}`, {
        lingerMs: 0,
        maxInFlight: Math.max(1, op.concurrency),
        fetch: state.fetch,
        onError: (error) => errors.push(error),
      })
      const body = new Uint8Array(op.size).fill(42)
      for (let i = 0; i < op.count; i++) producer.append(body)
      await producer.flush()
      await producer.detach()
      if (errors.length > 0) throw errors[0]
      metrics.messagesProcessed = op.count
      metrics.bytesTransferred = op.count * op.size
      break
    }
    case "throughput_read": {
      await state.learnContentType(op.path)
      const response = await openStream({ url: state.url(op.path), live: false, fetch: state.fetch, warnOnHttp: false })
      if (state.isJson(op.path)) {
        const messages = await response.json()
        metrics.messagesProcessed = messages.length
        metrics.bytesTransferred = JSON.stringify(messages).length
      } else {
        metrics.bytesTransferred = (await response.body()).length
      }
      break
    }
  }
  const durationNs = process.hrtime.bigint() - started
  return { type: "benchmark", success: true, iterationId: cmd.iterationId, durationNs: durationNs.toString(), metrics }
}

/** Creates the stream unless it exists; returns its tail. */
async function ensureStream(
  state: ReferenceState,
  handle: DurableStream,
  path: string,
  contentType: string | undefined
): Promise<string | undefined> {
  const type = contentType ?? state.contentType(path) ?? DEFAULT_CONTENT_TYPE
  try {
    await handle.create({ contentType: type })
    state.rememberContentType(path, type)
  } catch (error) {
    if (!(error instanceof DurableStreamError) || error.code !== "CONFLICT_EXISTS") throw error
  }
  const info = await handle.head()
  if (info.exists) state.rememberContentType(path, info.contentType)
  return info.exists ? info.offset : undefined
}
