import {
  DurableStream,
  DurableStreamError,
  type AppendResult,
  type CreateResult,
  type DurableStreamOptions,
  type ForkOptions,
  type ReadOptions,
  type StreamInfo,
} from "@durable-client/bytes"
import { describeValue, invalidArgument, isJsonContentType } from "@durable-client/bytes/internal"
import type { StandardSchemaV1 } from "@standard-schema/spec"
import { JSON_DEFAULTS } from "./defaults"
import { encodeJsonValue } from "./json-codec"
import { JsonReadSession } from "./json-read-session"
import { resolveJsonStreamOptions } from "./json-stream-options"

/** Options of a `JsonStream` handle. */
export interface JsonStreamOptions<T> extends Omit<DurableStreamOptions, "contentType"> {
  /**
   * Content type to create with; any `application/json` variant (such as
   * `application/json; charset=utf-8`). Default `application/json`.
   */
  contentType?: string
  /** Validates every message read; its output type types the messages. */
  schema?: StandardSchemaV1<unknown, T>
}

/** What `JsonStream.from` takes besides the handle it wraps. */
export interface JsonFromOptions<T> {
  /** Validates every message read; its output type types the messages. Default: the source's schema, if any. */
  schema?: StandardSchemaV1<unknown, T>
}

/** Options of `JsonStream.create`. */
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
 * Passed by `JsonStream.from` in place of options: the byte handle to wrap.
 * Module-private, so only `from` can build a JsonStream on an existing handle.
 */
const WRAP = Symbol("wrap")

interface WrapRequest<T> {
  [WRAP]: DurableStream
  schema: StandardSchemaV1<unknown, T> | undefined
}

/**
 * A handle on an `application/json` stream: appends JSON values as messages
 * and reads them back with message boundaries intact. `stream` is the byte
 * handle underneath, for anything byte-level.
 */
export class JsonStream<T = unknown> {
  readonly stream: DurableStream
  readonly schema: StandardSchemaV1<unknown, T> | undefined

  constructor(options: JsonStreamOptions<T>) {
    const wrap = typeof options === "object" && options !== null ? (options as Partial<WrapRequest<T>>)[WRAP] : undefined
    // A new handle: the bytes layer validates url, headers, fetch, retry… (null options included).
    this.stream = wrap ?? new DurableStream(withJsonContentType(options))
    const resolved = resolveJsonStreamOptions<T>(
      this.stream.url,
      wrap ? { schema: options.schema } : options,
      this.stream.contentType
    )
    this.schema = resolved.schema
  }

  /**
   * The JSON view of a handle you already have, keeping every setting of it:
   * the result's `stream` IS that handle (same fetch, headers, params,
   * retry, timeouts, onError), so nothing is rebuilt from the URL. From a
   * JsonStream it shares the same byte handle; `schema` replaces its schema.
   * This is how every layer above wraps a handle it is given.
   *
   * @example
   * const bytes = new DurableStream({ url, fetch: myFetch, headers: { authorization } })
   * const events = JsonStream.from<Event>(bytes, { schema: eventSchema })
   */
  static from<T = unknown>(source: DurableStream | JsonStream<unknown>, options: JsonFromOptions<T> = {}): JsonStream<T> {
    if (!(source instanceof JsonStream) && !(source instanceof DurableStream)) {
      throw invalidArgument("(no url)", `JsonStream.from needs a DurableStream or JsonStream (got ${describeValue(source)})`)
    }
    if (typeof options !== "object" || options === null) {
      throw invalidArgument(source.url, `JsonStream.from options must be an object (got ${describeValue(options)})`)
    }
    if (source instanceof JsonStream) {
      if (options.schema === undefined) return source as JsonStream<T>
      return JsonStream.from<T>(source.stream, options)
    }
    const request: WrapRequest<T> = { [WRAP]: source, schema: options.schema }
    return new JsonStream<T>(request as unknown as JsonStreamOptions<T>)
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
      body: messages === undefined ? undefined : this._encodeBatch(messages, true),
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
    return this.stream.append(this._encodeBatch([value], false), options)
  }

  /** Appends several messages in one request (one atomic batch). */
  async appendMany(values: readonly unknown[], options: { seq?: string; signal?: AbortSignal } = {}): Promise<AppendResult> {
    return this.stream.append(this._encodeBatch(values, false), options)
  }

  /** Closes the stream, optionally appending one last message atomically. */
  async close(options: { final?: unknown; signal?: AbortSignal } = {}): Promise<AppendResult> {
    const { final, signal } = options
    return this.stream.close({
      body: "final" in options ? this._encodeBatch([final], false) : undefined,
      signal,
    })
  }

  /**
   * Forks this stream (see `DurableStream.fork`); `subOffset` counts messages
   * into the append that starts at `offset`, and `at` takes a message's
   * `position` from a read (the fork ends right before that message). The
   * fork keeps this handle's settings and schema.
   */
  async fork(options: ForkOptions): Promise<JsonStream<T>> {
    return JsonStream.from<T>(await this.stream.fork(options), { schema: this.schema })
  }

  read(options: ReadOptions = {}): JsonReadSession<T> {
    return new JsonReadSession<T>(this.stream.read(options), this.schema)
  }

  private _encodeBatch(values: readonly unknown[], allowEmpty: boolean): Uint8Array {
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

/** The caller's handle options with the JSON content type defaulted; anything that is not an object goes on as is, for the bytes layer to refuse. */
function withJsonContentType<T>(options: JsonStreamOptions<T>): JsonStreamOptions<T> {
  if (typeof options !== "object" || options === null) return options
  const { schema: _schema, ...handle } = options
  return { ...handle, contentType: options.contentType ?? JSON_DEFAULTS.contentType } as JsonStreamOptions<T>
}
