import { appendStream, type AppendStreamOptions, type AppendStreamSource } from "./append-stream"
import { DurableStreamError, invalidArgument, type StreamOperation } from "./errors"
import { forkStream, type ForkOptions } from "./fork"
import { execute, type RequestPlan } from "./http"
import {
  resolveStreamOptions,
  type DurableStreamOptions,
  type ResolvedStreamOptions,
} from "./options"
import { H, flagHeader } from "./protocol-headers"
import type { ReadOptions } from "./read-options"
import { ReadSession } from "./read-session"
import type { HeadersRecord } from "./request-values"
import { discardBody, type ResponseReader } from "./response-reader"
import { retryRuleFor } from "./retry-policy"
import {
  describeValue,
  optionalBoolean,
  optionalSignal,
  optionalString,
  optionsObject,
  valueRecord,
  wholeNumber,
} from "./validate"

export type { DurableStreamOptions } from "./options"

/** What an append accepts: bytes, or a string sent as UTF-8. */
export type AppendData = Uint8Array | ArrayBuffer | string

/** Options of `DurableStream.create`. */
export interface CreateOptions {
  contentType?: string
  /** Sliding idle timeout in whole seconds. Exclusive with `expiresAt`. */
  ttlSeconds?: number
  /** Absolute expiry. Exclusive with `ttlSeconds`. */
  expiresAt?: Date | string
  /** Create the stream already closed (its body, if any, is the whole content). */
  closed?: boolean
  body?: AppendData
  signal?: AbortSignal
  /** Extra headers for this request only (on top of the handle's). */
  headers?: HeadersRecord
}

/** What `DurableStream.create` learned about the stream. */
export interface CreateResult {
  /** `true` for 201 (new stream), `false` for 200 (it existed with this configuration). */
  created: boolean
  offset: string | undefined
  closed: boolean
  contentType: string | undefined
}

/** A stream's metadata, from `DurableStream.head`. */
export interface StreamInfo {
  contentType: string | undefined
  /** The tail: where a read from `now` would start. */
  offset: string | undefined
  closed: boolean
  ttlSeconds: number | undefined
  expiresAt: string | undefined
  etag: string | undefined
}

/** Options of `DurableStream.append`. */
export interface AppendOptions {
  /** Application writer sequence (`Stream-Seq`): must strictly increase (byte-wise). */
  seq?: string
  signal?: AbortSignal
  /** Extra headers for this request only (on top of the handle's). */
  headers?: HeadersRecord
}

/** What every single-request operation accepts. */
export interface OperationOptions {
  signal?: AbortSignal
  /** Extra headers for this request only (on top of the handle's). */
  headers?: HeadersRecord
}

/** What an append left the stream at. */
export interface AppendResult {
  /** The stream's tail after this append. */
  offset: string | undefined
  closed: boolean
}

/** Options of `DurableStream.close`. */
export interface CloseOptions {
  /** Final data, appended atomically with the close. */
  body?: AppendData
  signal?: AbortSignal
  /** Extra headers for this request only (on top of the handle's). */
  headers?: HeadersRecord
}

const encoder = new TextEncoder()

/**
 * A handle on one stream URL. Holds no connection; every method is one
 * protocol exchange (with retries where they are safe).
 */
export class DurableStream {
  readonly url: string
  /** Known content type (from options, create, connect or a HEAD). */
  contentType: string | undefined
  /** After `create()`: whether this call created the stream (201) or found it (200). */
  created: boolean | undefined
  /** Every setting of this handle, validated and defaulted; layers above build on it. */
  readonly settings: ResolvedStreamOptions

  constructor(options: DurableStreamOptions) {
    this.settings = resolveStreamOptions(options)
    this.url = this.settings.url
    this.contentType = this.settings.contentType
  }

  /** Creates the stream (PUT) and returns its handle; `created` says if it was new. */
  static async create(options: DurableStreamOptions & CreateOptions): Promise<DurableStream> {
    const stream = new DurableStream(options)
    await stream.create(options)
    return stream
  }

  /** Checks the stream exists (HEAD) and returns a handle that knows its content type. */
  static async connect(options: DurableStreamOptions & { signal?: AbortSignal }): Promise<DurableStream> {
    const stream = new DurableStream(options)
    await stream.head({ signal: options.signal })
    return stream
  }

  static async head(options: DurableStreamOptions & { signal?: AbortSignal }): Promise<StreamInfo> {
    return new DurableStream(options).head({ signal: options.signal })
  }

  static async delete(options: DurableStreamOptions & { signal?: AbortSignal }): Promise<void> {
    return new DurableStream(options).delete({ signal: options.signal })
  }

  async create(given?: CreateOptions): Promise<CreateResult> {
    const options = this._operationOptions(given, "create")
    const headers: Record<string, string> = {}
    const contentType =
      optionalString(this.url, options.contentType, "contentType", "create") ??
      this.contentType ??
      "application/octet-stream"
    // Always explicit, so a repeated PUT compares configurations deterministically.
    headers[H.contentType] = contentType
    lifetimeHeaders(this.url, options, "create", headers)
    if (optionalBoolean(this.url, options.closed, "closed", "create")) headers[H.closed] = "true"
    const body = options.body === undefined ? undefined : toBody(this.url, options.body, "create")
    const result = await this.request("create", {
      method: "PUT",
      headers,
      body,
      signal: options.signal,
      extraHeaders: options.headers,
      okStatuses: [200, 201],
      handle: createResult(contentType),
    })
    this.contentType = result.contentType
    this.created = result.created
    return result
  }

  async head(given?: OperationOptions): Promise<StreamInfo> {
    const options = this._operationOptions(given, "head")
    const info = await this.request("head", {
      method: "HEAD",
      signal: options.signal,
      extraHeaders: options.headers,
      okStatuses: [200],
      handle: async (response, reader) => {
        reader.discard()
        const h = response.headers
        const ttl = h.get(H.ttl)
        return {
          contentType: h.get(H.contentType) ?? undefined,
          offset: h.get(H.nextOffset) ?? undefined,
          closed: flagHeader(h, H.closed),
          ttlSeconds: ttl !== null && /^\d+$/.test(ttl) ? Number(ttl) : undefined,
          expiresAt: h.get(H.expiresAt) ?? undefined,
          etag: h.get("ETag") ?? undefined,
        }
      },
    })
    if (info.contentType) this.contentType = info.contentType
    return info
  }

  async delete(given?: OperationOptions): Promise<void> {
    const options = this._operationOptions(given, "delete")
    await this.request("delete", {
      method: "DELETE",
      signal: options.signal,
      extraHeaders: options.headers,
      okStatuses: [200, 202, 204],
      handle: async (_response, reader) => reader.discard(),
    })
  }

  /**
   * Appends bytes (a string is sent as UTF-8). Empty data is refused locally:
   * the protocol reserves empty bodies for close.
   */
  async append(data: AppendData, given?: AppendOptions): Promise<AppendResult> {
    const options = this._operationOptions(given, "append")
    const body = toBody(this.url, data, "append")
    if (body.length === 0) {
      throw invalidArgument(this.url, "cannot append empty data (use close() to close the stream)", "append")
    }
    const headers: Record<string, string> = { [H.contentType]: await requireContentType(this, options.signal) }
    const seq = optionalString(this.url, options.seq, "seq", "append")
    if (seq !== undefined) headers[H.seq] = seq
    return this.request("append", {
      method: "POST",
      headers,
      body,
      signal: options.signal,
      extraHeaders: options.headers,
      sentStreamSeq: options.seq !== undefined,
      okStatuses: [200, 204],
      isRetryable: retryRuleFor("unsafe-write", this.settings.retryAppends),
      handle: appendResult,
    })
  }

  /** Appends a byte stream or async iterable as ONE append, streamed where the runtime allows (see append-stream.ts). */
  appendStream(source: AppendStreamSource, options?: AppendStreamOptions): Promise<AppendResult> {
    return appendStream(this, source, options)
  }

  /**
   * Closes the stream. Without a body it is idempotent (closing a closed
   * stream succeeds). With a body, the data is appended and the stream
   * closed in one atomic step; that fails with STREAM_CLOSED if it was
   * already closed. Resolves with the final offset.
   */
  async close(given?: CloseOptions): Promise<AppendResult> {
    const options = this._operationOptions(given, "close")
    const headers: Record<string, string> = { [H.closed]: "true" }
    let body: Uint8Array | undefined
    if (options.body !== undefined) {
      body = toBody(this.url, options.body, "close")
      if (body.length === 0) body = undefined
    }
    if (body !== undefined) headers[H.contentType] = await requireContentType(this, options.signal)
    return this.request("close", {
      method: "POST",
      headers,
      body,
      signal: options.signal,
      extraHeaders: options.headers,
      okStatuses: [200, 204],
      // A close with data is an append: retrying it blindly could double the data.
      isRetryable: retryRuleFor(body === undefined ? "repeatable" : "unsafe-write", this.settings.retryAppends),
      handle: appendResult,
    })
  }

  /**
   * Creates a fork of this stream at `url` (or `target`): its data before
   * `offset` (default: the tail), then its own. Resolves with the fork's
   * handle; refusals are `ForkError`s (see fork.ts).
   */
  async fork(options: ForkOptions): Promise<DurableStream> {
    return (await forkStream(this, options)).stream
  }

  /** Starts a read session. Nothing is requested until it is consumed. */
  read(options?: ReadOptions): ReadSession {
    // The settings themselves when they already say the content type: a reader holds no copy of them.
    const settings = this.settings
    return new ReadSession(settings.contentType === this.contentType ? settings : { ...settings, contentType: this.contentType }, options)
  }

  /** Runs a request with this handle's settings. Layers above use it for their own exchanges. */
  request<T>(
    operation: StreamOperation,
    plan: Omit<RequestPlan<T>, "operation">
  ): Promise<T> {
    return execute(this.settings, { ...plan, operation })
  }

  /** The common per-operation options, checked before anything is sent. */
  private _operationOptions<T extends OperationOptions>(given: T | undefined, operation: StreamOperation): Partial<T> {
    const options = optionsObject(this.url, given, "options", operation)
    optionalSignal(this.url, options.signal, "signal", operation)
    valueRecord(this.url, options.headers, "headers", operation)
    return options
  }
}

/** The content type an append sends: the handle's, else a HEAD's; a stream that reports none cannot take one. */
export async function requireContentType(stream: DurableStream, signal: AbortSignal | undefined): Promise<string> {
  if (stream.contentType === undefined) await stream.head({ signal })
  if (stream.contentType === undefined) {
    throw new DurableStreamError(
      "UNEXPECTED_STATUS",
      `Stream ${stream.url} did not report a content type; pass contentType when creating the handle`,
      { url: stream.url, operation: "append" }
    )
  }
  return stream.contentType
}

/** Append data (or an appendStream chunk, `field`) as bytes: a string as UTF-8. */
export function toBody(url: string, data: unknown, operation: StreamOperation, field = "data"): Uint8Array {
  if (typeof data === "string") return encoder.encode(data)
  if (data instanceof Uint8Array) return data
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  throw invalidArgument(url, `${field} must be a string, Uint8Array or ArrayBuffer (got ${describeValue(data)})`, operation)
}

/** The TTL or expiry (exclusive) of a create or a fork, into `headers`; checked before any request. */
export function lifetimeHeaders(
  url: string,
  options: { ttlSeconds?: number; expiresAt?: Date | string },
  operation: "create" | "fork",
  headers: Record<string, string>
): void {
  const { ttlSeconds, expiresAt } = options
  if (ttlSeconds !== undefined && expiresAt !== undefined) {
    throw invalidArgument(url, "ttlSeconds and expiresAt are mutually exclusive", operation)
  }
  if (ttlSeconds !== undefined) headers[H.ttl] = String(wholeNumber(url, ttlSeconds, "ttlSeconds", { operation }))
  if (expiresAt === undefined) return
  const date = expiresAt instanceof Date ? expiresAt : new Date(expiresAt)
  if (Number.isNaN(date.getTime())) {
    throw invalidArgument(url, `expiresAt is not a valid date (got ${describeValue(expiresAt)})`, operation)
  }
  // A string goes out as written: servers compare the header when a create or
  // fork is repeated, so reformatting it could turn an identical one into a 409.
  headers[H.expiresAt] = typeof expiresAt === "string" ? expiresAt : date.toISOString()
}

/** Reads the answer to a create or a fork PUT (201 new, 200 found with this configuration). */
export function createResult(contentType: string | undefined) {
  return async (response: Response, reader: ResponseReader): Promise<CreateResult> => {
    reader.discard()
    return {
      created: response.status === 201,
      offset: response.headers.get(H.nextOffset) ?? undefined,
      closed: flagHeader(response.headers, H.closed),
      contentType: response.headers.get(H.contentType) ?? contentType,
    }
  }
}

/** Reads the answer to an append or a close. */
export async function appendResult(response: Response): Promise<AppendResult> {
  discardBody(response)
  return {
    offset: response.headers.get(H.nextOffset) ?? undefined,
    closed: flagHeader(response.headers, H.closed),
  }
}
