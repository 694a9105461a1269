import {
  DurableStream,
  DurableStreamError,
  isJsonContentType,
  type AppendResult,
  type CreateResult,
  type DurableStreamOptions,
  type ReadOptions,
  type StreamInfo,
} from "@durable-client/bytes"
import type { StandardSchemaV1 } from "@standard-schema/spec"
import { encodeJsonValue } from "./json-codec"
import { JsonReadSession } from "./json-read-session"

export interface JsonStreamOptions<T> extends Omit<DurableStreamOptions, "contentType"> {
  /**
   * Content type to create with; any `application/json` variant (such as
   * `application/json; charset=utf-8`). Default `application/json`.
   */
  contentType?: string
  /** Validates every message read; its output type types the messages. */
  schema?: StandardSchemaV1<unknown, T>
}

export interface JsonCreateOptions {
  ttlSeconds?: number
  expiresAt?: Date | string
  closed?: boolean
  /** Initial messages. */
  messages?: readonly unknown[]
  signal?: AbortSignal
}

const encoder = new TextEncoder()

/**
 * A handle on an `application/json` stream: appends JSON values as messages
 * and reads them back with message boundaries intact. `stream` is the byte
 * handle underneath, for anything byte-level.
 */
export class JsonStream<T = unknown> {
  readonly stream: DurableStream
  readonly schema: StandardSchemaV1<unknown, T> | undefined

  constructor(options: JsonStreamOptions<T>) {
    const contentType = options.contentType ?? "application/json"
    this.stream = new DurableStream({ ...options, contentType })
    if (!isJsonContentType(contentType)) {
      throw new DurableStreamError(
        "INVALID_ARGUMENT",
        `Invalid argument for stream ${this.stream.url}: a JSON stream needs an application/json content type (got ${contentType})`,
        { url: this.stream.url }
      )
    }
    this.schema = options.schema
  }

  get url(): string {
    return this.stream.url
  }

  /** Creates the stream as `application/json` (PUT); `created` tells 201 from 200. */
  static async create<T = unknown>(
    options: JsonStreamOptions<T> & JsonCreateOptions
  ): Promise<JsonStream<T>> {
    const json = new JsonStream<T>(options)
    await json.create(options)
    return json
  }

  /** Connects to an existing stream (HEAD) and checks that it is a JSON stream. */
  static async connect<T = unknown>(
    options: JsonStreamOptions<T> & { signal?: AbortSignal }
  ): Promise<JsonStream<T>> {
    const json = new JsonStream<T>(options)
    await json.head({ signal: options.signal })
    return json
  }

  get created(): boolean | undefined {
    return this.stream.created
  }

  async create(options: JsonCreateOptions = {}): Promise<CreateResult> {
    const { messages, ...rest } = options
    return this.stream.create({
      ...rest,
      // `[]` is a valid initial body for a JSON stream; undefined means none.
      body: messages === undefined ? undefined : this.encodeBatch(messages, true),
    })
  }

  async head(options: { signal?: AbortSignal } = {}): Promise<StreamInfo> {
    const info = await this.stream.head(options)
    if (!isJsonContentType(info.contentType)) {
      throw new DurableStreamError(
        "CONFLICT",
        `Stream ${this.url} is not a JSON stream (content type ${info.contentType ?? "unknown"})`,
        { url: this.url, operation: "head" }
      )
    }
    return info
  }

  delete(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.stream.delete(options)
  }

  /**
   * Appends one message. The value is sent wrapped as `[value]`, so a value
   * that is itself an array stays ONE message. Not retried after ambiguous
   * failures (see `retryAppends`); use IdempotentProducer for exactly-once.
   * A value JSON cannot carry rejects with INVALID_ARGUMENT (nothing is sent).
   */
  async append(value: unknown, options: { seq?: string; signal?: AbortSignal } = {}): Promise<AppendResult> {
    return this.stream.append(this.encodeBatch([value], false), options)
  }

  /** Appends several messages in one request (one atomic batch). */
  async appendMany(values: readonly unknown[], options: { seq?: string; signal?: AbortSignal } = {}): Promise<AppendResult> {
    return this.stream.append(this.encodeBatch(values, false), options)
  }

  /** Closes the stream, optionally appending one last message atomically. */
  async close(options: { final?: unknown; signal?: AbortSignal } = {}): Promise<AppendResult> {
    const { final, signal } = options
    return this.stream.close({
      body: "final" in options ? this.encodeBatch([final], false) : undefined,
      signal,
    })
  }

  read(options: ReadOptions = {}): JsonReadSession<T> {
    return new JsonReadSession<T>(this.stream.read(options), this.schema)
  }

  private encodeBatch(values: readonly unknown[], allowEmpty: boolean): Uint8Array {
    if (!Array.isArray(values)) {
      throw new DurableStreamError(
        "INVALID_ARGUMENT",
        `Invalid argument for stream ${this.url}: messages must be an array`,
        { url: this.url, operation: "append" }
      )
    }
    // The protocol rejects an empty array in an append: there is nothing to send.
    if (values.length === 0 && !allowEmpty) {
      throw new DurableStreamError(
        "INVALID_ARGUMENT",
        `Invalid argument for stream ${this.url}: cannot append an empty batch`,
        { url: this.url, operation: "append" }
      )
    }
    const parts = values.map((value) => encodeJsonValue(value, this.url))
    return encoder.encode(`[${parts.join(",")}]`)
  }
}
