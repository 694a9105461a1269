import { ProtocolHeaders as H, flagHeader } from "@durable-client/json"
import type {
  AppendCommand,
  CloseCommand,
  ConnectCommand,
  CreateCommand,
  DeleteCommand,
  HeadCommand,
  Result,
} from "../protocol.ts"
import { producerDetails } from "./errors.ts"
import type { AdapterState } from "./state.ts"

export function payload(data: string, binary: boolean | undefined): Uint8Array | string {
  return binary ? new Uint8Array(Buffer.from(data, "base64")) : data
}

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
  return { type: "delete", success: true, status: state.recorder.lastStatus }
}

export async function close(state: AdapterState, cmd: CloseCommand): Promise<Result> {
  const stream = state.stream(cmd.path, cmd.headers)
  const result = await stream.close({
    body: cmd.data === undefined ? undefined : payload(cmd.data, cmd.binary),
  })
  return {
    type: "close",
    success: true,
    status: state.recorder.lastStatus,
    finalOffset: result.offset,
    streamClosed: result.closed,
  }
}

export async function append(state: AdapterState, cmd: AppendCommand): Promise<Result> {
  const stream = state.stream(cmd.path, cmd.headers)
  const body = payload(cmd.data, cmd.binary)
  const seq = cmd.seq === undefined ? undefined : String(cmd.seq)
  const hasProducerFields =
    cmd.producerId !== undefined || cmd.producerEpoch !== undefined || cmd.producerSeq !== undefined
  if (!hasProducerFields) {
    const result = await stream.append(body, { seq })
    return {
      type: "append",
      success: true,
      status: state.recorder.lastStatus,
      offset: result.offset,
      streamClosed: result.closed,
      ...state.recorder.sent(),
    }
  }

  // Producer headers exactly as the command gives them, for testing the
  // server's producer rules. The SDK's IdempotentProducer never lets a
  // caller choose its own epoch and seq per request, so this goes through
  // the handle's request() escape hatch (see README, "SDK gaps").
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
    body,
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
