/**
 * Cross-check adapter on the upstream TypeScript client, npm
 * @durable-streams/client (pinned in package.json). Running the same cases
 * against a second, independent client tells bugs in the cases from bugs in
 * our SDK. It is a thin translation like ours: whatever that client cannot
 * do is reported as an error, not worked around.
 */
import { createRequire } from "node:module"
import { serveLines } from "../serve-lines.ts"
import {
  DurableStream,
  DurableStreamError,
  FetchError,
  IdempotentProducer,
  SequenceGapError,
  StaleEpochError,
  StreamClosedError,
  stream as openStream,
  type HeadersRecord,
  type LiveMode,
  type ParamsRecord,
} from "@durable-streams/client"
import { Recorder } from "../adapter/recorder.ts"
import {
  type Command,
  type CommandType,
  type ErrorCode,
  type ErrorResult,
  type Features,
  type ReadChunk,
  type Result,
  type StringMap,
} from "../protocol.ts"

const clientVersion = (
  createRequire(import.meta.url)("@durable-streams/client/package.json") as { version: string }
).version

// What this client really offers. It has no separate retry-options object
// to validate and no per-batch item limit.
const FEATURES: Features = {
  batching: true,
  sse: true,
  longPoll: true,
  auto: true,
  dynamicHeaders: true,
  retryOptions: false,
  batchItems: false,
  strictZeroValidation: true,
}

let serverUrl = ""
const recorder = new Recorder()
const fetchRecorded = ((input: RequestInfo | URL, init?: RequestInit) =>
  recorder.fetch(String(input instanceof Request ? input.url : input), init ?? {})) as typeof fetch
const contentTypes = new Map<string, string>()
const producers = new Map<string, { producer: IdempotentProducer; errors: Error[] }>()
const dynamicHeaders = new Map<string, { kind: string; count: number; value: string }>()
const dynamicParams = new Map<string, { kind: string; count: number }>()

function headersFor(extra?: StringMap): HeadersRecord {
  const out: HeadersRecord = {}
  for (const [name, spec] of dynamicHeaders) {
    out[name] = () => (spec.kind === "counter" ? String(++spec.count) : spec.kind === "timestamp" ? String(Date.now()) : spec.value)
  }
  return { ...out, ...extra }
}

function paramsFor(): ParamsRecord {
  const out: ParamsRecord = {}
  for (const [name, spec] of dynamicParams) {
    out[name] = () => (spec.kind === "counter" ? String(++spec.count) : String(Date.now()))
  }
  return out
}

function handle(path: string, headers?: StringMap): DurableStream {
  return new DurableStream({
    url: `${serverUrl}${path}`,
    contentType: contentTypes.get(path),
    headers: headersFor(headers),
    params: paramsFor(),
    fetch: fetchRecorded,
    warnOnHttp: false,
  })
}

function body(data: string, binary: boolean | undefined): Uint8Array | string {
  return binary ? new Uint8Array(Buffer.from(data, "base64")) : data
}

function isJson(path: string): boolean {
  return (contentTypes.get(path) ?? "").toLowerCase().split(";")[0]!.trim() === "application/json"
}

async function learnContentType(path: string): Promise<void> {
  if (contentTypes.has(path)) return
  const info = await DurableStream.head({ url: `${serverUrl}${path}`, fetch: fetchRecorded, warnOnHttp: false })
  if (info.exists && info.contentType) contentTypes.set(path, info.contentType)
}

async function handleCommand(cmd: Command): Promise<Result> {
  recorder.begin()
  switch (cmd.type) {
    case "init":
      serverUrl = cmd.serverUrl.replace(/\/+$/, "")
      contentTypes.clear()
      producers.clear()
      dynamicHeaders.clear()
      dynamicParams.clear()
      return { type: "init", success: true, clientName: "@durable-streams/client", clientVersion, features: FEATURES }

    case "create": {
      const h = handle(cmd.path, cmd.headers)
      await h.create({
        contentType: cmd.contentType ?? "application/octet-stream",
        ttlSeconds: cmd.ttlSeconds,
        expiresAt: cmd.expiresAt,
        closed: cmd.closed,
        body: cmd.data === undefined ? undefined : body(cmd.data, cmd.binary),
      })
      const status = recorder.lastStatus
      const offset = recorder.last?.responseHeaders?.get("stream-next-offset") ?? undefined
      contentTypes.set(cmd.path, cmd.contentType ?? "application/octet-stream")
      return { type: "create", success: true, status, offset }
    }

    case "connect": {
      const h = await DurableStream.connect({ url: `${serverUrl}${cmd.path}`, headers: headersFor(cmd.headers), fetch: fetchRecorded, warnOnHttp: false })
      const info = await h.head()
      if (!info.exists) return notFound(cmd.type, cmd.path)
      if (info.contentType) contentTypes.set(cmd.path, info.contentType)
      return { type: "connect", success: true, status: 200, offset: info.offset }
    }

    case "head": {
      const info = await handle(cmd.path, cmd.headers).head()
      if (!info.exists) return notFound(cmd.type, cmd.path)
      if (info.contentType) contentTypes.set(cmd.path, info.contentType)
      return { type: "head", success: true, status: 200, offset: info.offset, contentType: info.contentType, streamClosed: info.streamClosed }
    }

    case "delete":
      await handle(cmd.path, cmd.headers).delete()
      contentTypes.delete(cmd.path)
      return { type: "delete", success: true, status: recorder.lastStatus }

    case "append": {
      await learnContentType(cmd.path)
      if (isJson(cmd.path) && /^\s*\[/.test(cmd.data)) {
        // append() wraps every JSON body in [...] (one call, one message), so
        // a body that is itself an array cannot be sent as given.
        return failure("append", "NOT_SUPPORTED", "this client cannot send a JSON array body verbatim")
      }
      // AppendOptions declares producerId/producerEpoch/producerSeq but
      // append() ignores them (0.2.7), so they travel as plain headers.
      const producerHeaders: StringMap = {}
      if (cmd.producerId !== undefined) producerHeaders["Producer-Id"] = cmd.producerId
      if (cmd.producerEpoch !== undefined) producerHeaders["Producer-Epoch"] = String(cmd.producerEpoch)
      if (cmd.producerSeq !== undefined) producerHeaders["Producer-Seq"] = String(cmd.producerSeq)
      await handle(cmd.path, { ...cmd.headers, ...producerHeaders }).append(body(cmd.data, cmd.binary), {
        seq: cmd.seq === undefined ? undefined : String(cmd.seq),
      })
      const response = recorder.last?.responseHeaders
      const status = recorder.lastStatus
      const result: Result = {
        type: "append",
        success: true,
        status,
        offset: response?.get("stream-next-offset") ?? undefined,
        ...recorder.sent(),
      }
      if (cmd.producerId !== undefined) {
        result.duplicate = status === 204
        const epoch = response?.get("producer-epoch")
        const seq = response?.get("producer-seq")
        if (epoch) result.producerEpoch = Number(epoch)
        if (seq) result.producerSeq = Number(seq)
      }
      return result
    }

    case "close": {
      await learnContentType(cmd.path)
      const result = await handle(cmd.path, cmd.headers).close({
        body: cmd.data === undefined ? undefined : body(cmd.data, cmd.binary),
      })
      return { type: "close", success: true, status: recorder.lastStatus, finalOffset: result.finalOffset }
    }

    case "read":
      return read(cmd)

    case "idempotent-append": {
      const { producer, errors } = await producerFor(cmd)
      producer.append(body(cmd.data, cmd.binary))
      await producer.flush()
      // append() is fire-and-forget; failures arrive through onError.
      if (errors.length > 0) throw errors.shift()
      return { type: cmd.type, success: true, status: recorder.lastStatus, producerEpoch: producer.epoch }
    }

    case "idempotent-append-batch": {
      const { producer, errors } = await producerFor(cmd)
      for (const item of cmd.items) producer.append(item)
      await producer.flush()
      if (errors.length > 0) throw errors.shift()
      return { type: cmd.type, success: true, status: 200, producerEpoch: producer.epoch }
    }

    case "idempotent-close": {
      const { producer, errors } = await producerFor(cmd)
      const result = cmd.data === undefined ? await producer.close() : await producer.close(cmd.data)
      if (errors.length > 0) throw errors.shift()
      return { type: cmd.type, success: true, status: recorder.lastStatus, finalOffset: result.finalOffset }
    }

    case "idempotent-detach": {
      const key = `${cmd.path}|${cmd.producerId}|${cmd.epoch}`
      const entry = producers.get(key)
      producers.delete(key)
      if (entry) await entry.producer.detach()
      return { type: cmd.type, success: true, status: recorder.lastStatus }
    }

    case "set-dynamic-header":
      dynamicHeaders.set(cmd.name, { kind: cmd.valueType, count: 0, value: cmd.initialValue ?? "" })
      return { type: cmd.type, success: true }

    case "set-dynamic-param":
      dynamicParams.set(cmd.name, { kind: cmd.valueType, count: 0 })
      return { type: cmd.type, success: true }

    case "clear-dynamic":
      dynamicHeaders.clear()
      dynamicParams.clear()
      return { type: cmd.type, success: true }

    case "validate": {
      const target = cmd.target
      if (target.target !== "idempotent-producer") {
        return failure("validate", "NOT_SUPPORTED", "this client has no standalone retry options")
      }
      try {
        new IdempotentProducer(new DurableStream({ url: `${serverUrl}/validate`, warnOnHttp: false }), target.producerId ?? "validation-producer", {
          epoch: target.epoch,
          maxBatchBytes: target.maxBatchBytes,
        })
      } catch (error) {
        return failure("validate", "INVALID_ARGUMENT", error instanceof Error ? error.message : String(error))
      }
      return { type: "validate", success: true }
    }

    case "benchmark":
      return benchmark(cmd)

    case "shutdown":
      return { type: "shutdown", success: true }

    default:
      return failure((cmd as { type: CommandType }).type, "NOT_SUPPORTED", "unknown command")
  }
}

async function benchmark(cmd: Extract<Command, { type: "benchmark" }>): Promise<Result> {
  const op = cmd.operation
  const metrics: Record<string, number> = {}
  const started = process.hrtime.bigint()
  switch (op.op) {
    case "create":
      await handle(op.path).create({ contentType: op.contentType ?? "application/octet-stream" })
      contentTypes.set(op.path, op.contentType ?? "application/octet-stream")
      break
    case "append":
      await learnContentType(op.path)
      await handle(op.path).append(new Uint8Array(op.size).fill(42))
      metrics.bytesTransferred = op.size
      break
    case "read": {
      const response = await openStream({ url: `${serverUrl}${op.path}`, offset: op.offset, live: false, fetch: fetchRecorded, warnOnHttp: false })
      metrics.bytesTransferred = (await response.body()).length
      break
    }
    case "roundtrip": {
      await learnContentType(op.path)
      const h = handle(op.path)
      const head = await h.head()
      const response = await openStream({
        url: `${serverUrl}${op.path}`,
        offset: head.exists ? head.offset : undefined,
        live: op.live ?? "long-poll",
        fetch: fetchRecorded,
        warnOnHttp: false,
      })
      let received = 0
      const arrived = new Promise<void>((resolve) => {
        response.subscribeBytes((chunk) => {
          received += chunk.data.length
          if (received >= op.size) resolve()
        })
      })
      await h.append(new Uint8Array(op.size).fill(42))
      await arrived
      response.cancel()
      metrics.bytesTransferred = received
      break
    }
    case "throughput_append": {
      await learnContentType(op.path)
      const h = handle(op.path)
      await Promise.all(Array.from({ length: op.count }, () => h.append(new Uint8Array(op.size).fill(42))))
      metrics.messagesProcessed = op.count
      metrics.bytesTransferred = op.count * op.size
      break
    }
    case "throughput_read": {
      const response = await openStream({ url: `${serverUrl}${op.path}`, live: false, fetch: fetchRecorded, warnOnHttp: false })
      metrics.bytesTransferred = (await response.body()).length
      break
    }
  }
  const durationNs = process.hrtime.bigint() - started
  return { type: "benchmark", success: true, iterationId: cmd.iterationId, durationNs: durationNs.toString(), metrics }
}

async function producerFor(cmd: {
  path: string
  producerId: string
  epoch: number
  autoClaim?: boolean
  maxInFlight?: number
  lingerMs?: number
  maxBatchBytes?: number
  headers?: StringMap
}): Promise<{ producer: IdempotentProducer; errors: Error[] }> {
  const key = `${cmd.path}|${cmd.producerId}|${cmd.epoch}`
  const existing = producers.get(key)
  if (existing) return existing
  await learnContentType(cmd.path)
  const errors: Error[] = []
  let producer: IdempotentProducer
  try {
    producer = new IdempotentProducer(handle(cmd.path, cmd.headers), cmd.producerId, {
      epoch: cmd.epoch,
      autoClaim: cmd.autoClaim ?? false,
      maxInFlight: cmd.maxInFlight,
      lingerMs: cmd.lingerMs,
      maxBatchBytes: cmd.maxBatchBytes,
      fetch: fetchRecorded,
      onError: (error) => errors.push(error),
    })
  } catch (error) {
    // The constructor checks its options and throws plain Errors.
    throw new ArgumentError(error instanceof Error ? error.message : String(error))
  }
  const entry = { producer, errors }
  producers.set(key, entry)
  return entry
}

class ArgumentError extends Error {}

async function read(cmd: Extract<Command, { type: "read" }>): Promise<Result> {
  const live: LiveMode =
    cmd.live === "auto" || cmd.live === true ? true : cmd.live === "long-poll" || cmd.live === "sse" ? cmd.live : false
  const timeoutMs = cmd.timeoutMs ?? 10_000
  await learnContentType(cmd.path)
  const json = isJson(cmd.path)
  const text = (contentTypes.get(cmd.path) ?? "").toLowerCase().startsWith("text/")
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  const chunks: ReadChunk[] = []
  let offset = cmd.offset
  let upToDate = false
  let streamClosed = false
  try {
    const response = await openStream({
      url: `${serverUrl}${cmd.path}`,
      offset: cmd.offset,
      live,
      headers: headersFor(cmd.headers),
      params: paramsFor(),
      fetch: fetchRecorded,
      signal: controller.signal,
      warnOnHttp: false,
    })
    offset = response.offset
    upToDate = response.upToDate
    streamClosed = response.streamClosed
    if (live === false) {
      // Catch-up: the accumulating helpers are this client's way to read to
      // up-to-date (its subscribers may run after `closed` has settled).
      if (json) {
        const items = await response.json()
        if (items.length > 0) chunks.push({ data: JSON.stringify(items), offset: response.offset })
      } else {
        const bytes = await response.body()
        if (bytes.length > 0) {
          chunks.push(
            text
              ? { data: new TextDecoder().decode(bytes), offset: response.offset }
              : { data: Buffer.from(bytes).toString("base64"), binary: true, offset: response.offset }
          )
        }
      }
      return {
        type: "read",
        success: true,
        status: recorder.lastStatus,
        chunks,
        offset: response.offset,
        upToDate: response.upToDate,
        streamClosed: response.streamClosed,
        ...recorder.sent(),
      }
    }
    await new Promise<void>((resolve, reject) => {
      const stop = (): void => {
        controller.abort()
        resolve()
      }
      controller.signal.addEventListener("abort", () => resolve(), { once: true })
      const take = (data: ReadChunk | undefined, meta: { offset: string; upToDate: boolean; streamClosed: boolean }): void => {
        if (controller.signal.aborted) return
        if (data) chunks.push(data)
        offset = meta.offset
        upToDate = meta.upToDate
        streamClosed = meta.streamClosed
        if (meta.streamClosed) stop()
        else if (cmd.waitForUpToDate && meta.upToDate) stop()
        else if (cmd.maxChunks !== undefined && chunks.length >= cmd.maxChunks) stop()
      }
      if (json) {
        response.subscribeJson((batch) => {
          take(batch.items.length > 0 ? { data: JSON.stringify(batch.items), offset: batch.offset } : undefined, batch)
        })
      } else {
        response.subscribeBytes((chunk) => {
          const data =
            chunk.data.length === 0
              ? undefined
              : text
                ? { data: new TextDecoder().decode(chunk.data), offset: chunk.offset }
                : { data: Buffer.from(chunk.data).toString("base64"), binary: true, offset: chunk.offset }
          take(data, chunk)
        })
      }
      // This client settles `closed` before its subscribers have seen the
      // last chunk (they may run well after), so the adapter gives queued
      // deliveries time to land before it reports. See README, cross-check.
      const settle = 150
      response.closed.then(
        () =>
          setTimeout(() => {
            // The session's own final state, for an end that came without a chunk.
            if (response.streamClosed) {
              streamClosed = true
              upToDate = true
              offset = response.offset
            }
            resolve()
          }, settle),
        (error: unknown) => setTimeout(() => (controller.signal.aborted ? resolve() : reject(error)), settle)
      )
    })
  } catch (error) {
    if (!controller.signal.aborted) throw error
  } finally {
    clearTimeout(timer)
    controller.abort()
  }
  return { type: "read", success: true, status: recorder.lastStatus, chunks, offset, upToDate, streamClosed, ...recorder.sent() }
}

function failure(commandType: CommandType, errorCode: ErrorCode, message: string, status?: number): ErrorResult {
  const result: ErrorResult = { type: "error", success: false, commandType, errorCode, message }
  if (status !== undefined) result.status = status
  return result
}

function notFound(commandType: CommandType, path: string): ErrorResult {
  return failure(commandType, "NOT_FOUND", `stream not found: ${serverUrl}${path}`, 404)
}

/** This client's errors in the protocol's vocabulary. */
function errorResult(commandType: CommandType, error: unknown): ErrorResult {
  const message = error instanceof Error ? error.message : String(error)
  if (error instanceof ArgumentError) return failure(commandType, "INVALID_ARGUMENT", message)
  if (error instanceof StaleEpochError) {
    const result = failure(commandType, "STALE_EPOCH", message, 403)
    result.details = { producerEpoch: error.currentEpoch }
    return result
  }
  if (error instanceof SequenceGapError) {
    const result = failure(commandType, "SEQUENCE_CONFLICT", message, 409)
    result.details = { producerExpectedSeq: error.expectedSeq, producerReceivedSeq: error.receivedSeq }
    return result
  }
  if (error instanceof StreamClosedError) return failure(commandType, "STREAM_CLOSED", message, 409)
  if (error instanceof DurableStreamError) {
    const status = error.status
    switch (error.code) {
      case "NOT_FOUND":
        return failure(commandType, "NOT_FOUND", message, status ?? 404)
      case "CONFLICT_EXISTS":
        return failure(commandType, "CONFLICT", message, status ?? 409)
      case "CONFLICT_SEQ":
        return failure(commandType, "SEQUENCE_CONFLICT", message, status ?? 409)
      case "STREAM_CLOSED":
      case "ALREADY_CLOSED":
        return failure(commandType, "STREAM_CLOSED", message, status)
      case "PARSE_ERROR":
      case "SSE_NOT_SUPPORTED":
        return failure(commandType, error.code === "PARSE_ERROR" ? "PARSE_ERROR" : "NOT_SUPPORTED", message, status)
      case "BAD_REQUEST":
        return failure(commandType, commandType === "read" ? "INVALID_OFFSET" : "UNEXPECTED_STATUS", message, status ?? 400)
      default:
        return failure(commandType, status === 403 && message.toLowerCase().includes("epoch") ? "STALE_EPOCH" : "UNEXPECTED_STATUS", message, status)
    }
  }
  if (error instanceof FetchError) {
    const closed = (error.headers["stream-closed"] ?? "").toLowerCase() === "true"
    const code: ErrorCode =
      error.status === 404
        ? "NOT_FOUND"
        : error.status === 409
          ? closed
            ? "STREAM_CLOSED"
            : error.headers["producer-expected-seq"] !== undefined
              ? "SEQUENCE_CONFLICT"
              : "CONFLICT"
          : error.status === 403 && error.headers["producer-epoch"] !== undefined
            ? "STALE_EPOCH"
            : error.status === 400 && commandType === "read"
              ? "INVALID_OFFSET"
              : "UNEXPECTED_STATUS"
    const result = failure(commandType, code, message, error.status)
    const details: Record<string, unknown> = {}
    for (const [field, header] of [
      ["producerEpoch", "producer-epoch"],
      ["producerExpectedSeq", "producer-expected-seq"],
      ["producerReceivedSeq", "producer-received-seq"],
    ] as const) {
      const value = error.headers[header]
      if (value !== undefined && /^\d+$/.test(value)) details[field] = Number(value)
    }
    if (Object.keys(details).length > 0) result.details = details
    return result
  }
  if (error instanceof SyntaxError) return failure(commandType, "PARSE_ERROR", message)
  if (error instanceof TypeError && /fetch failed|network/i.test(message)) return failure(commandType, "NETWORK_ERROR", message)
  return failure(commandType, "INTERNAL_ERROR", `${error instanceof Error ? error.name : "Error"}: ${message}`)
}

void serveLines("reference-client adapter", handleCommand, errorResult)
