/**
 * Forks (PROTOCOL §4.2, §5.1; CLIENT-REQUIREMENTS FK-01…FK-09): a PUT to a
 * new URL naming its source by path. The fork shares the source's data
 * strictly before the fork point, then takes its own appends. It does not
 * inherit producer or `Stream-Seq` state (FK-07): a producer on the fork
 * starts a fresh epoch there.
 */
import { DurableStream, createResult, lifetimeHeaders, type CreateResult } from "./durable-stream"
import { DurableStreamError, invalidArgument, isDurableStreamError, type DurableStreamErrorCode } from "./errors"
import { H } from "./protocol-headers"
import type { HeadersRecord } from "./request-values"
import {
  describeValue,
  optionalSignal,
  optionalString,
  optionsObject,
  valueRecord,
  wholeNumber,
} from "./validate"

/** Request header names of a fork PUT. */
export const FORK_HEADERS = Object.freeze({
  forkedFrom: "Stream-Forked-From",
  forkOffset: "Stream-Fork-Offset",
  forkSubOffset: "Stream-Fork-Sub-Offset",
})

/** Options of `DurableStream.fork`. */
export interface ForkOptions {
  /** The fork's URL, on the same server (same origin) as the source. Exclusive with `target`. */
  url?: string | URL
  /** A handle for the fork (its own fetch, headers…). Exclusive with `url`. */
  target?: DurableStream
  /**
   * The fork point: an offset this server returned (FK-02), such as a read
   * batch's offset or an append's result. The fork holds the source's data
   * strictly before it. Default: the source's tail.
   */
  offset?: string
  /**
   * Refines the fork point past `offset`, into the one append that starts at
   * `offset`: in messages for `application/json`, in bytes otherwise. `0` is
   * the same as none. Needs `offset`. Servers answer 400 (INVALID_FORK_POINT)
   * when no append starts there or it is shorter.
   */
  subOffset?: number
  /**
   * The fork point as a position a read handed out (`{ offset, index }`, such
   * as a JSON message's `position`): the same as `offset` plus `subOffset`,
   * exclusive with both. A position of a read that began at `-1` or `now`
   * has no server offset to anchor on: a ForkError INVALID_FORK_POINT,
   * before any request.
   */
  at?: ForkPoint
  /** The fork's idle TTL in whole seconds. Default: inherited from the source (FK-06). Exclusive with `expiresAt`. */
  ttlSeconds?: number
  /** The fork's absolute expiry. Default: inherited from the source (FK-06). */
  expiresAt?: Date | string
  signal?: AbortSignal
  /** Extra headers for the fork request only (on top of the handle's). */
  headers?: HeadersRecord
}

/**
 * A point inside a stream: `index` messages (JSON) or bytes (other types)
 * past `offset`, an offset the server returned.
 */
export interface ForkPoint {
  readonly offset: string
  readonly index: number
}

/** The fork created by `DurableStream.fork`. */
export interface ForkResult extends CreateResult {
  /** The fork's handle: the target given, or a handle with the source's settings at `url`. */
  stream: DurableStream
}

/** Why a fork was refused; `code` stays the usual one (NOT_FOUND, BAD_REQUEST, CONFLICT, GONE). */
export type ForkFailure =
  /** 404: the source stream does not exist (or has expired). */
  | "SOURCE_NOT_FOUND"
  /** 400: the offset is beyond the source's tail or malformed, or the sub-offset overshoots. */
  | "INVALID_FORK_POINT"
  /**
   * 409: the target URL holds a stream of another configuration (a different
   * source, fork point, TTL…), the content types differ, or the source was
   * deleted while it still has forks.
   */
  | "CONFLICT"
  /** 410: the source was deleted (soft-deleted while forks remain). */
  | "SOURCE_GONE"

/** A refused fork: a DurableStreamError with the fork's `reason` and `source` URL. */
export class ForkError extends DurableStreamError {
  override readonly name: string = "ForkError"
  readonly reason: ForkFailure
  /** The source stream's URL (`url` is the fork's). */
  readonly source: string

  constructor(reason: ForkFailure, source: string, cause: DurableStreamError) {
    super(cause.code, `Forking ${source} into ${cause.url} failed (${reason}): ${cause.message}`, {
      url: cause.url,
      operation: "fork",
      status: cause.status,
      offset: cause.offset,
      headers: cause.headers,
      cause,
    })
    this.reason = reason
    this.source = source
  }
}

const REASONS: Partial<Record<DurableStreamErrorCode, ForkFailure>> = {
  NOT_FOUND: "SOURCE_NOT_FOUND",
  BAD_REQUEST: "INVALID_FORK_POINT",
  CONFLICT: "CONFLICT",
  GONE: "SOURCE_GONE",
}

/**
 * Creates a fork of `source`. Idempotent like a create (FK-05): the same
 * fork again resolves with `created: false`; a different one at the same URL
 * fails with ForkError CONFLICT. Everything is checked before any request.
 */
export async function forkStream(source: DurableStream, given: ForkOptions): Promise<ForkResult> {
  const url = source.url
  const options = optionsObject(url, given, "fork options", "fork")
  if (given === undefined) throw invalidArgument(url, "fork needs options with a url or a target", "fork")
  optionalSignal(url, options.signal, "signal", "fork")
  valueRecord(url, options.headers, "headers", "fork")
  const target = forkTarget(source, options)
  const sourceUrl = new URL(url)
  const targetUrl = new URL(target.url)
  if (sourceUrl.origin !== targetUrl.origin) {
    throw invalidArgument(url, `fork url must be on the source's server (${sourceUrl.origin}; got ${targetUrl.origin})`, "fork")
  }
  if (sourceUrl.pathname === targetUrl.pathname) {
    throw invalidArgument(url, "fork url must differ from the source's", "fork")
  }
  const point = forkPoint(source, target, options)
  const offset = point?.offset ?? optionalString(url, options.offset, "offset", "fork")
  if (offset === "") throw invalidArgument(url, "offset must be an offset the server returned (got an empty string)", "fork")
  if (offset === "-1" || offset === "now") {
    throw invalidArgument(url, `offset must be an offset the server returned, not ${JSON.stringify(offset)} (omit it to fork at the tail)`, "fork")
  }
  const subOffset =
    point?.index ??
    (options.subOffset === undefined ? undefined : wholeNumber(url, options.subOffset, "subOffset", { operation: "fork" }))
  if (subOffset !== undefined && offset === undefined) {
    throw invalidArgument(url, "subOffset needs offset (the append it counts into)", "fork")
  }
  const headers: Record<string, string> = { [FORK_HEADERS.forkedFrom]: sourceUrl.pathname }
  lifetimeHeaders(url, options, "fork", headers)
  if (offset !== undefined) headers[FORK_HEADERS.forkOffset] = offset
  if (subOffset !== undefined && subOffset > 0) headers[FORK_HEADERS.forkSubOffset] = String(subOffset)

  try {
    // Optional in the protocol (FK-03), but a repeated fork is only recognised
    // as the same (200, not 409) when its content type matches too.
    if (source.contentType === undefined) await source.head({ signal: options.signal })
    if (source.contentType !== undefined) headers[H.contentType] = source.contentType
    // A PUT is idempotent (the same fork again answers 200): retrying it is safe.
    const result = await target.request("fork", {
      method: "PUT",
      headers,
      signal: options.signal,
      extraHeaders: options.headers,
      okStatuses: [200, 201],
      handle: createResult(source.contentType),
    })
    target.contentType = result.contentType
    target.created = result.created
    return { ...result, stream: target }
  } catch (error) {
    throw forkFailure(error, url, target.url, subOffset !== undefined && subOffset > 0)
  }
}

function forkTarget(source: DurableStream, options: Partial<ForkOptions>): DurableStream {
  const url = source.url
  if ((options.url === undefined) === (options.target === undefined)) {
    throw invalidArgument(url, "fork needs exactly one of url and target", "fork")
  }
  if (options.target !== undefined) {
    if (!(options.target instanceof DurableStream)) {
      throw invalidArgument(url, `target must be a DurableStream (got ${describeValue(options.target)})`, "fork")
    }
    return options.target
  }
  // The source's settings (fetch, headers, params, retry, timeouts…) at the fork's URL.
  const { contentType: _contentType, ...settings } = source.settings
  return new DurableStream({ ...settings, url: options.url as string | URL })
}

/** Reads `at` into an offset and an index; a position with no server offset under it is a ForkError. */
function forkPoint(source: DurableStream, target: DurableStream, options: Partial<ForkOptions>): ForkPoint | undefined {
  const url = source.url
  const at: unknown = options.at
  if (at === undefined) return undefined
  if (options.offset !== undefined || options.subOffset !== undefined) {
    throw invalidArgument(url, "at is exclusive with offset and subOffset (it carries both)", "fork")
  }
  if (typeof at !== "object" || at === null || typeof (at as ForkPoint).offset !== "string") {
    throw invalidArgument(url, `at must be a position { offset, index } a read handed out (got ${describeValue(at)})`, "fork")
  }
  const { offset } = at as ForkPoint
  const index = wholeNumber(url, (at as ForkPoint).index, "at.index", { operation: "fork" })
  if (offset === "" || offset === "-1" || offset === "now") {
    // The protocol has no offset for "the start" or "the tail when the read began" (FK-02).
    const cause = invalidArgument(
      target.url,
      `at ${JSON.stringify(offset)}+${index} is a position of a read that began at ${JSON.stringify(offset)}, which no server offset anchors; ` +
        "fork after its batch (its offset) or at a position of a later batch",
      "fork"
    )
    throw new ForkError("INVALID_FORK_POINT", url, cause)
  }
  return { offset, index }
}

/** The typed fork failure for a failed HEAD of the source or PUT of the fork. */
function forkFailure(error: unknown, sourceUrl: string, targetUrl: string, split: boolean): unknown {
  if (!isDurableStreamError(error) || error.status === undefined) return error
  const reason = REASONS[error.code]
  if (reason === undefined) return error
  const refused = reason === "INVALID_FORK_POINT" && split ? splitRefused(error) : error
  // A 404 of the source's HEAD is the source missing too; so is its 410.
  const cause =
    refused.url === targetUrl
      ? refused
      : new DurableStreamError(refused.code, refused.message, { url: targetUrl, status: refused.status, headers: refused.headers, cause: refused })
  return new ForkError(reason, sourceUrl, cause)
}

/** A 400 to a split fork, with its likeliest cause, which the server's answer does not name. */
function splitRefused(error: DurableStreamError): DurableStreamError {
  return new DurableStreamError(
    error.code,
    `${error.message} (a sub-offset or position index counts only into the one append that starts at the offset; ` +
      "a message of a later append in the same read batch is not a fork point)",
    { url: error.url, status: error.status, headers: error.headers, operation: error.operation, cause: error }
  )
}
