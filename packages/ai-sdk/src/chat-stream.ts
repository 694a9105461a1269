import {
  DurableStreamError,
  IdempotentProducer,
  JsonStream,
  type FetchLike,
  type HeadersRecord,
  type IdempotentProducerOptions,
  type ParamsRecord,
  type RetryOptions,
  type TimeoutOptions,
} from "@durable-client/json"
import { invalidArgument } from "@durable-client/json/internal"
import type { UIMessageChunk } from "ai"
import { ABORTED, abortWaiter, isAbortSignal } from "./abort-waiter"
import { abortChunk, errorChunk, prepareChunk, type ChunkPreparation, type GenerationOutcome } from "./chunks"
import { openChunkSource, type ChunkSource } from "./chunk-source"
import { createId } from "./create-id"
import { CHAT_STREAM_URL_HEADER, UI_MESSAGE_STREAM_RESPONSE_HEADERS } from "./protocol"
import { ResponseBranch } from "./response-branch"
import { describe, optionalFunction, optionalString, optionsObject } from "./validate"

/** Producer settings a chat stream passes on to its `IdempotentProducer`. */
export type ChatStreamProducerOptions = Pick<
  IdempotentProducerOptions,
  "lingerMs" | "maxBatchBytes" | "maxBatchItems" | "maxInFlight" | "maxBufferedBytes"
>

/** Options of `startChatStream`: the generation to record and the stream to record it into. */
export interface ChatStreamOptions {
  /**
   * The generation's UI message chunks: what `toUIMessageStream({ stream:
   * streamText(...).stream })` returns, or any stream or async iterable of
   * `UIMessageChunk`s.
   */
  stream: ReadableStream<UIMessageChunk> | AsyncIterable<UIMessageChunk>
  /**
   * Where this generation is stored: a fresh URL per generation (the stream is
   * closed when the generation ends), or a function of the message id. The
   * durable-client convention is `${streamsBase}/chat/${chatId}/${messageId}`.
   */
  streamUrl: string | URL | ((ids: { messageId: string }) => string | URL)
  /**
   * Id of the assistant message, given to the first `start` chunk when it has
   * none. Default: a random UUID.
   */
  messageId?: string
  /** Headers for every durable-stream request (PUT, appends, close); functions run per request. */
  headers?: HeadersRecord
  /** Query parameters for every durable-stream request. */
  params?: ParamsRecord
  /** Injected fetch for the durable-stream requests. Default: global fetch. */
  fetch?: FetchLike | typeof fetch
  /** Retry policy of the create and of every batch. */
  retry?: RetryOptions
  /** Request deadlines (see `@durable-client/bytes`). */
  timeouts?: TimeoutOptions
  /** Sliding time-to-live of the stream, in whole seconds. Default: the server's. */
  ttlSeconds?: number
  /** Producer id written with every batch. @default "ai-sdk" */
  producerId?: string
  /** Batching of the writes. @default { lingerMs: 5 } (the producer's defaults) */
  producer?: ChatStreamProducerOptions
  /**
   * The text of the `error` chunk written when `stream` itself fails. Its
   * error may hold provider details, so the default hides it.
   * @default () => "An error occurred."
   */
  getErrorText?: (error: unknown) => string
  /**
   * Stops the generation on purpose: the source is cancelled (which stops the
   * model), an `abort` chunk is written and the stream is closed. Not the
   * chat request's signal: a browser that goes away must not stop the writing.
   */
  signal?: AbortSignal
  /**
   * Called once with a promise that settles when the generation is stored
   * and closed: pass your host's `waitUntil` (Vercel `waitUntil`, Cloudflare
   * `ctx.waitUntil`, Next.js `after`) so the function is not frozen when the
   * chat response has been sent. The promise never rejects; read `done` for
   * the outcome.
   */
  waitUntil?: (promise: Promise<unknown>) => void
}

/** How a stored generation ended. */
export interface ChatStreamResult {
  /** `finished` (the source ended), `errored` (the source failed) or `aborted` (`signal`). */
  outcome: GenerationOutcome
  /** Chunks stored, the terminal `error` or `abort` chunk included. */
  chunks: number
  /** The stream's tail after the close. */
  offset: string | undefined
}

/** A generation being written into its durable stream. */
export interface ChatStream {
  /** The durable stream that holds the generation. */
  readonly streamUrl: string
  /** The assistant message's id (what the stored `start` chunk names). */
  readonly messageId: string
  /**
   * Settles when the generation is stored and the stream closed. Rejects with
   * the DurableStreamError when a write failed for good (the source is then
   * cancelled). Ignoring it is safe: its rejection is never unhandled.
   */
  readonly done: Promise<ChatStreamResult>
  /**
   * The chat route's answer: status 200, the stream URL in the
   * `Durable-Stream-Url` header (exposed to cross-origin pages), and the
   * generation's chunks as an AI SDK UI message stream (SSE) from its first
   * chunk, for a client's first connection. `DurableChatTransport` only needs
   * the header; the AI SDK's default transport reads the body. Once only: the
   * body is the one live copy of the generation.
   */
  response(init?: ResponseInit): Response
}

/** Defaults of `startChatStream`. */
export const CHAT_STREAM_DEFAULTS = Object.freeze({
  producerId: "ai-sdk",
  errorText: "An error occurred.",
})

const noop = (): void => undefined

/**
 * Creates the generation's durable stream (PUT, `application/json`), then
 * writes `stream` into it in the background through an `IdempotentProducer`:
 * exactly once, batched, and closed with the last chunk. The returned promise
 * resolves once the stream exists, so the answer can name it; the writing
 * goes on whether or not anyone reads the response.
 *
 * @example
 * const result = streamText({ model, messages: await convertToModelMessages(messages) })
 * const chat = await startChatStream({
 *   stream: toUIMessageStream({ stream: result.stream }),
 *   streamUrl: ({ messageId }) => `${STREAMS}/chat/${id}/${messageId}`,
 *   waitUntil,
 * })
 * return chat.response()
 */
export async function startChatStream(options: ChatStreamOptions): Promise<ChatStream> {
  const given = optionsObject<ChatStreamOptions>("(chat stream)", options, "startChatStream options")
  const messageId = optionalString("(chat stream)", given.messageId, "messageId") ?? createId()
  const streamUrl = resolveStreamUrl(given.streamUrl, messageId)
  // The handle validates url, headers, params, fetch, retry and timeouts before any request.
  const json = new JsonStream<UIMessageChunk>({
    url: streamUrl,
    headers: given.headers,
    params: given.params,
    fetch: given.fetch,
    retry: given.retry,
    timeouts: given.timeouts,
  })
  const where = json.url
  const producerId = optionalString(where, given.producerId, "producerId") ?? CHAT_STREAM_DEFAULTS.producerId
  const getErrorText = optionalFunction<(error: unknown) => string>(where, given.getErrorText, "getErrorText")
  const waitUntil = optionalFunction<(promise: Promise<unknown>) => void>(where, given.waitUntil, "waitUntil")
  const signal = given.signal
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw invalidArgument(where, `signal must be an AbortSignal (got ${describe(signal)})`)
  }
  const producerOptions = optionsObject<ChatStreamProducerOptions>(where, given.producer, "producer")
  // Built before the PUT (it sends nothing), so a bad producer option fails before any request;
  // the handle's retry policy applies to the batches too.
  const producer = new IdempotentProducer(json, producerId, { ...producerOptions, retry: given.retry })
  // Last: taking a reader locks the caller's stream, which a failed check above must not do.
  const source = openChunkSource(where, given.stream)

  try {
    const created = await json.create({ ttlSeconds: given.ttlSeconds })
    if (!created.created) {
      throw new DurableStreamError(
        "CONFLICT",
        `Stream ${where} already exists: every generation needs a stream of its own`,
        { url: where, operation: "create" }
      )
    }
  } catch (error) {
    await source.cancel(error).catch(noop)
    throw error
  }

  const branch = new ResponseBranch()
  const done = writeGeneration({
    source,
    producer,
    branch,
    messageId,
    signal,
    errorText: (error) => errorTextOf(getErrorText, error),
  })
  done.catch(noop)
  waitUntil?.(done.then(noop, noop))

  return {
    streamUrl: where,
    messageId,
    done,
    response(init = {}) {
      const headers = new Headers(init.headers)
      for (const [name, value] of Object.entries(UI_MESSAGE_STREAM_RESPONSE_HEADERS)) {
        if (!headers.has(name)) headers.set(name, value)
      }
      headers.set(CHAT_STREAM_URL_HEADER, where)
      const exposed = headers.get("access-control-expose-headers")
      if (!exposed?.toLowerCase().includes(CHAT_STREAM_URL_HEADER.toLowerCase())) {
        headers.set("access-control-expose-headers", exposed ? `${exposed}, ${CHAT_STREAM_URL_HEADER}` : CHAT_STREAM_URL_HEADER)
      }
      return new Response(branch.open(where), { status: init.status ?? 200, statusText: init.statusText, headers })
    },
  }
}

interface WriteContext {
  source: ChunkSource
  producer: IdempotentProducer<UIMessageChunk>
  branch: ResponseBranch
  messageId: string
  signal: AbortSignal | undefined
  errorText: (error: unknown) => string
}

async function writeGeneration(context: WriteContext): Promise<ChatStreamResult> {
  const { source, producer, branch, signal } = context
  let preparation: ChunkPreparation = { messageId: context.messageId, started: false }
  let chunks = 0
  // A `finish` chunk waits, so that it can go out together with the close.
  let held: UIMessageChunk | undefined
  let terminal: UIMessageChunk | undefined
  let outcome: GenerationOutcome = "finished"
  const stop = abortWaiter(signal)

  const write = (chunk: UIMessageChunk): void => {
    // Fire and forget: a failed batch also fails flush()/close() and sets
    // producer.error, and a receipt nobody awaits is never an unhandled rejection.
    producer.append(chunk)
    branch.push(chunk)
    chunks++
  }

  try {
    for (;;) {
      let next: IteratorResult<UIMessageChunk> | typeof ABORTED
      try {
        next = await stop.race(source.next())
      } catch (error) {
        if (producer.error) break
        outcome = "errored"
        terminal = errorChunk(context.errorText(error))
        break
      }
      if (next === ABORTED) {
        outcome = "aborted"
        terminal = abortChunk(abortReasonText(signal?.reason))
        await source.cancel(signal?.reason).catch(noop)
        break
      }
      if (next.done) break
      if (producer.error) break
      const prepared = prepareChunk(next.value, preparation)
      preparation = prepared.state
      if (held) write(held)
      held = undefined
      if (prepared.chunk.type === "finish") held = prepared.chunk
      else write(prepared.chunk)
      // Backpressure: a slow durable-stream server slows the reading of the model.
      await stop.race(producer.waitForCapacity())
    }

    if (producer.error) {
      await source.cancel(producer.error).catch(noop)
      throw producer.error
    }
    if (held && terminal) write(held)
    const last = terminal ?? held
    if (last) {
      branch.push(last)
      chunks++
    }
    const closed = last ? await producer.close(last) : await producer.close()
    branch.end()
    return { outcome, chunks, offset: closed.offset }
  } catch (error) {
    await source.cancel(error).catch(noop)
    branch.end(error)
    throw error
  } finally {
    stop.dispose()
  }
}

function errorTextOf(getErrorText: ((error: unknown) => string) | undefined, error: unknown): string {
  if (!getErrorText) return CHAT_STREAM_DEFAULTS.errorText
  try {
    const text = getErrorText(error)
    return typeof text === "string" ? text : CHAT_STREAM_DEFAULTS.errorText
  } catch {
    // The stream must still end with an error chunk: fall back to the default text.
    return CHAT_STREAM_DEFAULTS.errorText
  }
}

function abortReasonText(reason: unknown): string | undefined {
  if (typeof reason === "string") return reason
  if (reason instanceof Error && reason.name !== "AbortError") return reason.message
  return undefined
}

function resolveStreamUrl(value: ChatStreamOptions["streamUrl"] | undefined, messageId: string): string | URL {
  if (typeof value === "function") {
    const url = value({ messageId })
    if (typeof url !== "string" && !(url instanceof URL)) {
      throw invalidArgument("(chat stream)", `streamUrl() must return a URL string (got ${describe(url)})`)
    }
    return url
  }
  if (value === undefined) throw invalidArgument("(chat stream)", "streamUrl is required: the durable stream this generation is written to")
  return value
}
