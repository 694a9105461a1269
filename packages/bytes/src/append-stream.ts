import { AbortReason, linkedController } from "./abort"
import { MAX_TIMER_MS } from "./defaults"
import { appendResult, requireContentType, toBody, type AppendOptions, type AppendResult, type DurableStream } from "./durable-stream"
import { concatBytes } from "./bytes-util"
import { DurableStreamError, invalidArgument, isDurableStreamError } from "./errors"
import { execute, type ClientContext } from "./http"
import { untilAborted } from "./until-aborted"
import { H } from "./protocol-headers"
import { describeValue, optionalBoolean, optionalSignal, optionalString, optionsObject, valueRecord } from "./validate"

/** One piece of an `appendStream` source; a string is sent as UTF-8. */
export type AppendStreamChunk = Uint8Array | ArrayBuffer | string

/** What `appendStream` takes: a byte stream (a fetch body, say) or any async iterable of chunks. */
export type AppendStreamSource = ReadableStream<AppendStreamChunk> | AsyncIterable<AppendStreamChunk>

/** Options of `DurableStream.appendStream`. */
export interface AppendStreamOptions extends AppendOptions {
  /**
   * `true` sends the source as one streaming request body (`duplex: "half"`)
   * as it is read; `false` collects it first and sends one ordinary append
   * (retried like `append`). Browsers stream uploads only over HTTP/2 or
   * later: pass `false` for an HTTP/1.1 server.
   * @default supportsRequestStreams()
   */
  streamBody?: boolean
}

const noop = (): void => undefined

/**
 * Whether this runtime can send a `ReadableStream` as a request body,
 * detected the way browsers allow: a runtime that streams request bodies
 * reads the `duplex` option, and one that does not turns the stream into
 * text (with a `text/plain` content type) without ever looking at `duplex`.
 */
export function supportsRequestStreams(): boolean {
  if (typeof Request !== "function" || typeof ReadableStream !== "function") return false
  let readDuplex = false
  const init = {
    method: "POST",
    body: new ReadableStream(),
    get duplex() {
      readDuplex = true
      return "half"
    },
  }
  try {
    const request = new Request("https://durable-client.invalid/", init as RequestInit)
    return readDuplex && !request.headers.has("content-type")
  } catch {
    return false
  }
}

/**
 * Appends everything `source` yields as ONE append (one message on the
 * server). Where request streams are supported (`streamBody`), the body is
 * sent as it is read, so memory stays flat and the server starts receiving
 * at once; the headers deadline starts when the source ends, so a slow
 * source is not a timeout. A streamed body cannot be replayed, so the
 * request is never retried: a network error, timeout or 5xx says so, and
 * that the data may have been stored. Otherwise the source is collected
 * first and sent with `append` (retried as `append` is).
 *
 * A source that ends without data is INVALID_ARGUMENT (nothing is sent), as
 * is a chunk that is not bytes or a string. A source that fails rejects with
 * its own error; a streamed request is then abandoned mid-body.
 */
export async function appendStream(
  stream: DurableStream,
  source: AppendStreamSource,
  given?: AppendStreamOptions
): Promise<AppendResult> {
  const url = stream.url
  const options = optionsObject(url, given, "options", "append")
  const signal = optionalSignal(url, options.signal, "signal", "append")
  valueRecord(url, options.headers, "headers", "append")
  optionalString(url, options.seq, "seq", "append")
  const streamBody = optionalBoolean(url, options.streamBody, "streamBody", "append") ?? supportsRequestStreams()
  const chunks = openSource(url, source)
  try {
    const first = await untilAborted(chunks.read(), signal, url, "append of")
    if (first === undefined) {
      throw invalidArgument(url, "the appendStream source ended without data: there is nothing to append", "append")
    }
    const { streamBody: _streamBody, ...appendOptions } = options
    if (!streamBody) return await stream.append(await collect(first, chunks, signal, url), appendOptions)
    return await sendStreamed(stream, first, chunks, appendOptions)
  } catch (error) {
    await chunks.cancel(error).catch(noop)
    throw error
  }
}

/** The source as a pull of non-empty byte chunks, whatever its kind. */
interface ChunkPull {
  /** The next non-empty chunk, or undefined at the end. */
  read(): Promise<Uint8Array | undefined>
  cancel(reason: unknown): Promise<void>
}

function openSource(url: string, source: unknown): ChunkPull {
  let next: () => Promise<IteratorResult<unknown>>
  let cancel: (reason: unknown) => Promise<unknown>
  if (typeof (source as ReadableStream | null)?.getReader === "function") {
    // Not every runtime makes a ReadableStream async-iterable.
    const reader = (source as ReadableStream<unknown>).getReader()
    next = () => reader.read() as Promise<IteratorResult<unknown>>
    cancel = (reason) => reader.cancel(reason)
  } else if (typeof (source as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function") {
    const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    next = () => iterator.next()
    cancel = async () => iterator.return?.()
  } else {
    throw invalidArgument(
      url,
      `appendStream needs a ReadableStream or an async iterable of Uint8Array or string chunks (got ${describeValue(source)})`,
      "append"
    )
  }
  let done = false
  return {
    async read() {
      while (!done) {
        const result = await next()
        if (result.done) {
          done = true
          break
        }
        const bytes = toBody(url, result.value, "append", "appendStream chunks")
        if (bytes.length > 0) return bytes
      }
      return undefined
    },
    async cancel(reason) {
      if (done) return
      done = true
      await cancel(reason)
    },
  }
}

/** The fallback: the whole source in one buffer. */
async function collect(first: Uint8Array, chunks: ChunkPull, signal: AbortSignal | undefined, url: string): Promise<Uint8Array> {
  const parts = [first]
  for (let chunk; (chunk = await untilAborted(chunks.read(), signal, url, "append of")) !== undefined; ) parts.push(chunk)
  return concatBytes(parts)
}

/** One POST whose body is the source as it is read; never retried. */
async function sendStreamed(
  stream: DurableStream,
  first: Uint8Array,
  chunks: ChunkPull,
  options: AppendOptions
): Promise<AppendResult> {
  const settings = stream.settings
  const headers: Record<string, string> = { [H.contentType]: await requireContentType(stream, options.signal) }
  if (options.seq !== undefined) headers[H.seq] = options.seq

  // The headers deadline runs from the end of the body: the source sets the pace until then.
  const deadline = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  let answered = false
  let sourceError: unknown
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(first)
    },
    async pull(controller) {
      try {
        const chunk = await chunks.read()
        if (chunk !== undefined) return controller.enqueue(chunk)
        controller.close()
        // A server may answer (a 404, say) before it read the whole body: then no deadline is left to run.
        if (!answered) timer = setTimeout(() => deadline.abort(new AbortReason("timeout")), settings.timeouts.headersMs)
      } catch (error) {
        sourceError = error
        controller.error(error)
      }
    },
    cancel(reason) {
      return chunks.cancel(reason)
    },
  })
  const onError = settings.onError
  const context: ClientContext = {
    ...settings,
    // Told of the failure, but its answer cannot bring the body back for another try.
    onError: onError && (async (error) => void (await onError(error))),
    fetch: async (input, init) => {
      const { controller, dispose } = linkedController(init.signal ?? undefined, deadline.signal)
      const streamed = { ...init, body, duplex: "half", signal: controller.signal }
      try {
        return await settings.fetch(input, streamed as RequestInit)
      } finally {
        answered = true
        clearTimeout(timer)
        dispose()
      }
    },
  }
  try {
    return await execute(context, {
      operation: "append",
      method: "POST",
      headers,
      signal: options.signal,
      extraHeaders: options.headers,
      sentStreamSeq: options.seq !== undefined,
      timeoutMs: MAX_TIMER_MS,
      okStatuses: [200, 204],
      isRetryable: () => false,
      handle: appendResult,
    })
  } catch (error) {
    if (sourceError !== undefined) throw sourceError
    throw isDurableStreamError(error) && mayBeStored(error) ? notReplayed(error) : error
  } finally {
    clearTimeout(timer)
  }
}

function mayBeStored(error: DurableStreamError): boolean {
  return error.code === "NETWORK" || error.code === "TIMEOUT" || (error.status !== undefined && error.status >= 500)
}

function notReplayed(error: DurableStreamError): DurableStreamError {
  const message =
    `${error.message}. The body was streamed and cannot be replayed, so the append was not retried; ` +
    "it may have been stored: read the stream's tail before sending the data again"
  return new DurableStreamError(error.code, message, {
    url: error.url,
    operation: error.operation,
    offset: error.offset,
    status: error.status,
    headers: error.headers,
    cause: error,
  })
}
