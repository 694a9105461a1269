import { forkStream } from "@durable-client/json"
import { ProtocolHeaders as H, flagHeader } from "@durable-client/json/internal"
import { payload } from "../adapter-kit/chunk-data.ts"
import type {
  AppendCommand,
  CloseCommand,
  ConnectCommand,
  CreateCommand,
  DeleteCommand,
  ForkCommand,
  HeadCommand,
  Result,
} from "../protocol.ts"
import { producerDetails } from "./errors.ts"
import type { AdapterState } from "./state.ts"

// Statuses follow the public protocol's conventions (see README, "Results"):
// 200 for a success, whatever the server's own 2xx was; create says 201 or
// 200; raw producer appends keep the server's 200/204.

export async function create(state: AdapterState, cmd: CreateCommand): Promise<Result> {
  const stream = state.stream(cmd.path, cmd.headers)
  const result = await stream.create({
    contentType: cmd.contentType,
    ttlSeconds: cmd.ttlSeconds,
    expiresAt: cmd.expiresAt,
    closed: cmd.closed,
    body: cmd.data === undefined ? undefined : payload(cmd.data, cmd.binary),
  })
  state.rememberContentType(cmd.path, result.contentType)
  return {
    type: "create",
    success: true,
    status: result.created ? 201 : 200,
    offset: result.offset,
    streamClosed: result.closed,
    contentType: result.contentType,
  }
}

export async function fork(state: AdapterState, cmd: ForkCommand): Promise<Result> {
  const source = state.stream(cmd.source, cmd.headers)
  // The fork's handle: the same headers and dynamic values, on the fork's path.
  const target = state.stream(cmd.path, cmd.headers)
  const result = await forkStream(source, {
    target,
    offset: cmd.offset,
    subOffset: cmd.subOffset,
    ttlSeconds: cmd.ttlSeconds,
    expiresAt: cmd.expiresAt,
  })
  state.learn(cmd.source, source)
  state.rememberContentType(cmd.path, result.contentType)
  return {
    type: "fork",
    success: true,
    status: result.created ? 201 : 200,
    offset: result.offset,
    contentType: result.contentType,
  }
}

export async function connect(state: AdapterState, cmd: ConnectCommand): Promise<Result> {
  const stream = state.stream(cmd.path, cmd.headers)
  const info = await stream.head()
  state.rememberContentType(cmd.path, info.contentType)
  return { type: "connect", success: true, status: 200, offset: info.offset, contentType: info.contentType }
}

export async function head(state: AdapterState, cmd: HeadCommand): Promise<Result> {
  const info = await state.stream(cmd.path, cmd.headers).head()
  state.rememberContentType(cmd.path, info.contentType)
  const result: Result = {
    type: "head",
    success: true,
    status: 200,
    offset: info.offset,
    contentType: info.contentType,
    streamClosed: info.closed,
  }
  if (info.ttlSeconds !== undefined) result.ttlSeconds = info.ttlSeconds
  if (info.expiresAt !== undefined) result.expiresAt = info.expiresAt
  return result
}

export async function remove(state: AdapterState, cmd: DeleteCommand): Promise<Result> {
  await state.stream(cmd.path, cmd.headers).delete()
  state.forget(cmd.path)
  return { type: "delete", success: true, status: 200 }
}

export async function close(state: AdapterState, cmd: CloseCommand): Promise<Result> {
  // The command may name the final message's content type; it goes out as given.
  const stream = state.stream(cmd.path, cmd.headers, { contentType: cmd.contentType })
  const result = await stream.close({
    body: cmd.data === undefined ? undefined : payload(cmd.data, cmd.binary),
  })
  if (cmd.contentType === undefined) state.learn(cmd.path, stream)
  return {
    type: "close",
    success: true,
    status: 200,
    finalOffset: result.offset,
    streamClosed: result.closed,
  }
}

export async function append(state: AdapterState, cmd: AppendCommand): Promise<Result> {
  const seq = cmd.seq === undefined ? undefined : String(cmd.seq)
  const hasProducerFields =
    cmd.producerId !== undefined || cmd.producerEpoch !== undefined || cmd.producerSeq !== undefined
  const body = payload(cmd.data, cmd.binary)
  if (!hasProducerFields) {
    // The public protocol expects a plain append to ride out a 500 or 503
    // like any other request (its retry cases require it), so this adapter
    // opts into the SDK's `retryAppends`. Not with Stream-Seq: if the first
    // attempt was stored, its retry would come back as a false 409.
    const stream = state.stream(cmd.path, cmd.headers, { retryAppends: seq === undefined })
    const result = await stream.append(body, { seq })
    state.learn(cmd.path, stream)
    return {
      type: "append",
      success: true,
      status: 200,
      offset: result.offset,
      streamClosed: result.closed,
      ...state.recorder.sent(),
    }
  }

  // Producer headers exactly as the command gives them, for testing the
  // server's producer rules. The SDK's IdempotentProducer never lets a
  // caller choose its own epoch and seq per request, so this goes through
  // the handle's request() escape hatch (see README, "SDK gaps").
  const stream = state.stream(cmd.path, cmd.headers)
  const contentType = await state.contentTypeOf(stream, cmd.path)
  const headers: Record<string, string> = {}
  if (contentType !== undefined) headers[H.contentType] = contentType
  if (cmd.producerId !== undefined) headers[H.producerId] = cmd.producerId
  if (cmd.producerEpoch !== undefined) headers[H.producerEpoch] = String(cmd.producerEpoch)
  if (cmd.producerSeq !== undefined) headers[H.producerSeq] = String(cmd.producerSeq)
  if (seq !== undefined) headers[H.seq] = seq
  const response = await stream.request("append", {
    method: "POST",
    headers,
    body: typeof body === "string" ? new TextEncoder().encode(body) : body,
    sentStreamSeq: seq !== undefined,
    okStatuses: [200, 204],
    handle: async (res) => {
      await res.body?.cancel().catch(() => undefined)
      return { status: res.status, headers: res.headers }
    },
  })
  return {
    type: "append",
    success: true,
    status: response.status,
    offset: response.headers.get(H.nextOffset) ?? undefined,
    duplicate: response.status === 204,
    streamClosed: flagHeader(response.headers, H.closed),
    ...producerDetails(response.headers),
    ...state.recorder.sent(),
  }
}
