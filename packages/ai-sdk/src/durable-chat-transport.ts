import { DurableStreamError, isDurableStreamError, JsonStream } from "@durable-client/json"
import type { ChatRequestOptions, ChatTransport, UIMessage, UIMessageChunk } from "ai"
import { callHeaders, postChat, resolveRecord, withQuery } from "./chat-request"
import type { ChatStreamRecord } from "./chat-stream-store"
import { openChunkReader } from "./chunk-reader"
import { advanceDelivery, GENERATION_START, planReconnect, type ChatDelivery, type ReadPlan } from "./resume-plan"
import { resolveTransportOptions, type DurableChatTransportOptions, type ResolvedTransportOptions } from "./transport-options"

type SendOptions<UI_MESSAGE extends UIMessage> = Parameters<ChatTransport<UI_MESSAGE>["sendMessages"]>[0]
type ReconnectOptions = Parameters<ChatTransport<UIMessage>["reconnectToStream"]>[0]

/**
 * A `ChatTransport` for `useChat` whose answers live in durable streams.
 *
 * - `sendMessages` POSTs the chat to the app's route (`startChatStream` on the
 *   server), remembers the generation's stream for the chat id, and returns
 *   the chunks read from that durable stream: catch-up, then live.
 * - `reconnectToStream` (`useChat({ resume: true })` on mount, or
 *   `resumeStream()`) finds the chat's latest generation in the `store` and
 *   reads it again, without calling the model: from its first chunk, which
 *   rebuilds the message once (`resumeStreamIsReplay`), or, after a network
 *   disconnect in this page, from the offset this page had reached.
 *
 * Aborting (`stop()`, unmount) stops reading only; the generation goes on on
 * the server and can be resumed.
 *
 * @example
 * const transport = useMemo(() => new DurableChatTransport({ api: "/api/chat" }), [])
 * const { messages, sendMessage } = useChat({ id: chatId, transport, resume: true })
 */
export class DurableChatTransport<UI_MESSAGE extends UIMessage = UIMessage> implements ChatTransport<UI_MESSAGE> {
  /**
   * A resume without a disconnect reads the generation from its first chunk,
   * so `useChat` resets the partial message on the replayed `start`.
   */
  readonly resumeStreamIsReplay = true
  private readonly options: ResolvedTransportOptions
  /** What this page read of each chat's latest generation, with the reader that owns it. */
  private readonly deliveries = new Map<string, { delivery: ChatDelivery; owner: object }>()

  constructor(options: DurableChatTransportOptions = {}) {
    this.options = resolveTransportOptions(options)
  }

  async sendMessages(options: SendOptions<UI_MESSAGE>): Promise<ReadableStream<UIMessageChunk>> {
    const { api, fetch } = this.options
    // Chat drops an interrupted response's state on every new request; so do we.
    this.deliveries.delete(options.chatId)
    const extra = callHeaders(options.headers)
    const [headers, params, body] = await Promise.all([
      resolveRecord(api, this.options.headers, "headers"),
      resolveRecord(api, this.options.params, "params"),
      this.resolveBody(),
    ])
    const streamUrl = await postChat({
      api: withQuery(api, params),
      fetch,
      headers: { ...headers, ...extra },
      body: {
        ...body,
        ...(isRecord(options.body) ? options.body : {}),
        id: options.chatId,
        messages: options.messages,
        trigger: options.trigger,
        messageId: options.messageId,
      },
      signal: options.abortSignal,
      secrets: [...Object.values(headers), ...Object.values(params), ...Object.values(extra ?? {})],
    })
    await this.remember(options.chatId, { streamUrl })
    return this.read(options.chatId, { streamUrl, offset: GENERATION_START, replay: true }, options)
  }

  async reconnectToStream(options: ReconnectOptions): Promise<ReadableStream<UIMessageChunk> | null> {
    const record = await this.recall(options.chatId)
    const plan = planReconnect(record, this.deliveries.get(options.chatId)?.delivery)
    if (plan === null) return null
    try {
      return await this.read(options.chatId, plan, options)
    } catch (error) {
      // The generation's stream expired or was deleted: nothing left to resume.
      if (isDurableStreamError(error) && (error.code === "NOT_FOUND" || error.code === "GONE")) return null
      throw error
    }
  }

  private async read(
    chatId: string,
    plan: ReadPlan,
    call: { abortSignal?: AbortSignal | undefined } & ChatRequestOptions
  ): Promise<ReadableStream<UIMessageChunk>> {
    const owner = {}
    this.deliveries.set(chatId, { owner, delivery: { streamUrl: plan.streamUrl, offset: plan.offset, state: "reading" } })
    const update = (change: (delivery: ChatDelivery) => ChatDelivery): void => {
      const current = this.deliveries.get(chatId)
      // A newer send or resume of this chat owns the record now.
      if (current?.owner === owner) current.delivery = change(current.delivery)
    }
    const stream = new JsonStream<unknown>({
      url: plan.streamUrl,
      headers: this.options.headers,
      params: this.options.params,
      fetch: this.options.fetch,
      retry: this.options.retry,
      timeouts: this.options.timeouts,
    })
    return openChunkReader({
      stream,
      offset: plan.offset,
      live: this.options.live,
      signal: call.abortSignal,
      headers: callHeaders(call.headers),
      onDelivered: (batch) => update((delivery) => advanceDelivery(delivery, batch)),
      onEnd: (state) => update((delivery) => (delivery.state === "closed" ? delivery : { ...delivery, state })),
    })
  }

  private async resolveBody(): Promise<Record<string, unknown>> {
    const body = this.options.body
    if (typeof body !== "function") return body ?? {}
    let value: unknown
    try {
      value = await body()
    } catch (error) {
      throw new DurableStreamError("CALLBACK_FAILED", `The body function for ${this.options.api} threw`, {
        url: this.options.api,
        cause: error,
      })
    }
    if (value === undefined) return {}
    if (!isRecord(value)) {
      throw new DurableStreamError("INVALID_ARGUMENT", `Invalid argument for stream ${this.options.api}: body() must return an object`, {
        url: this.options.api,
      })
    }
    return value
  }

  private async remember(chatId: string, record: ChatStreamRecord): Promise<void> {
    try {
      await this.options.store.set(chatId, record)
    } catch (error) {
      throw storeFailure(this.options.api, "set", error)
    }
  }

  private async recall(chatId: string): Promise<unknown> {
    try {
      return await this.options.store.get(chatId)
    } catch (error) {
      throw storeFailure(this.options.api, "get", error)
    }
  }
}

function storeFailure(api: string, method: string, cause: unknown): DurableStreamError {
  return new DurableStreamError("CALLBACK_FAILED", `The chat stream store's ${method}() threw (transport for ${api})`, {
    url: api,
    cause,
  })
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}
