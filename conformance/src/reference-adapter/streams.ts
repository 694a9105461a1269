import { DurableStream } from "@durable-streams/client"
import { payload } from "../adapter-kit/chunk-data.ts"
import type {
  AppendCommand,
  CloseCommand,
  ConnectCommand,
  CreateCommand,
  DeleteCommand,
  HeadCommand,
  Result,
  StringMap,
} from "../protocol.ts"
import { failure, notFound } from "./errors.ts"
import type { ReferenceState } from "./state.ts"

const DEFAULT_CONTENT_TYPE = "application/octet-stream"

// Statuses follow the public protocol: 200 for a success; create says 201
// when it created the stream and 200 when it already existed; an append with
// producer headers keeps the server's 200/204.

export async function create(state: ReferenceState, cmd: CreateCommand): Promise<Result> {
  const contentType = cmd.contentType ?? DEFAULT_CONTENT_TYPE
  await state.handle(cmd.path, cmd.headers, contentType).create({
    contentType,
    ttlSeconds: cmd.ttlSeconds,
    expiresAt: cmd.expiresAt,
    closed: cmd.closed,
    body: cmd.data === undefined ? undefined : payload(cmd.data, cmd.binary),
  })
  // The client reports neither status nor offset; the recorder saw both.
  const response = state.recorder.last?.responseHeaders
  state.rememberContentType(cmd.path, contentType)
  return {
    type: "create",
    success: true,
    status: state.recorder.lastStatus === 201 ? 201 : 200,
    offset: response?.get("stream-next-offset") ?? undefined,
  }
}

export async function connect(state: ReferenceState, cmd: ConnectCommand): Promise<Result> {
  const url = state.url(cmd.path)
  const handle = await DurableStream.connect({ url, headers: state.headers(cmd.headers), fetch: state.fetch, warnOnHttp: false })
  const info = await handle.head()
  if (!info.exists) return notFound(cmd.type, url)
  state.rememberContentType(cmd.path, info.contentType)
  return { type: "connect", success: true, status: 200, offset: info.offset }
}

export async function head(state: ReferenceState, cmd: HeadCommand): Promise<Result> {
  const info = await state.handle(cmd.path, cmd.headers).head()
  if (!info.exists) return notFound(cmd.type, state.url(cmd.path))
  state.rememberContentType(cmd.path, info.contentType)
  // This client's HeadResult has no TTL or expiry fields, so none are reported.
  return {
    type: "head",
    success: true,
    status: 200,
    offset: info.offset,
    contentType: info.contentType,
    streamClosed: info.streamClosed,
  }
}

export async function remove(state: ReferenceState, cmd: DeleteCommand): Promise<Result> {
  await state.handle(cmd.path, cmd.headers).delete()
  state.forget(cmd.path)
  return { type: "delete", success: true, status: 200 }
}

export async function close(state: ReferenceState, cmd: CloseCommand): Promise<Result> {
  await state.learnContentType(cmd.path)
  const result = await state.handle(cmd.path, cmd.headers, cmd.contentType).close({
    body: cmd.data === undefined ? undefined : payload(cmd.data, cmd.binary),
    contentType: cmd.contentType,
  })
  return { type: "close", success: true, status: 200, finalOffset: result.finalOffset }
}

export async function append(state: ReferenceState, cmd: AppendCommand): Promise<Result> {
  await state.learnContentType(cmd.path)
  if (state.isJson(cmd.path) && /^\s*\[/.test(cmd.data)) {
    // append() wraps every JSON body in [...] (one call, one message), so a
    // body that is itself an array cannot be sent as given.
    return failure("append", "NOT_SUPPORTED", "this client cannot send a JSON array body verbatim")
  }
  // AppendOptions declares producerId/producerEpoch/producerSeq but append()
  // ignores them (0.2.7), so they travel as plain headers.
  const producerHeaders: StringMap = {}
  if (cmd.producerId !== undefined) producerHeaders["Producer-Id"] = cmd.producerId
  if (cmd.producerEpoch !== undefined) producerHeaders["Producer-Epoch"] = String(cmd.producerEpoch)
  if (cmd.producerSeq !== undefined) producerHeaders["Producer-Seq"] = String(cmd.producerSeq)
  await state.handle(cmd.path, { ...cmd.headers, ...producerHeaders }).append(payload(cmd.data, cmd.binary), {
    seq: cmd.seq === undefined ? undefined : String(cmd.seq),
  })
  const response = state.recorder.last?.responseHeaders
  const status = state.recorder.lastStatus
  const withProducer = Object.keys(producerHeaders).length > 0
  const result: Result = {
    type: "append",
    success: true,
    status: withProducer ? status : 200,
    offset: response?.get("stream-next-offset") ?? undefined,
    ...state.recorder.sent(),
  }
  if (withProducer) {
    result.duplicate = status === 204
    const epoch = response?.get("producer-epoch")
    const seq = response?.get("producer-seq")
    if (epoch) result.producerEpoch = Number(epoch)
    if (seq) result.producerSeq = Number(seq)
  }
  return result
}
