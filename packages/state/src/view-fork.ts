/**
 * Forking a materialized view (issue 16; CLIENT-REQUIREMENTS FK-01…FK-09):
 * the stream is forked at a position the view delivered, and the fork's view
 * starts from a copy of the source view's checkpoint there. The fork holds
 * the source's data strictly before that offset, and the view already holds
 * the state it makes, so the fork's view reads only the fork's own suffix.
 */
import { DurableStream, ForkError, JsonStream } from "@durable-client/json"
import { describeValue, invalidArgument, optionsObject } from "@durable-client/json/internal"
import { isCheckpoint, type Checkpoint } from "./checkpoint-storage"
import { resolveMaterializeOptions, type MaterializeOptions, type ResolvedMaterializeOptions } from "./materialize-options"
import type { HANDLE_OPTIONS } from "./stream-source"

/**
 * Options of `Materializer.fork`: where the fork goes, from which delivered
 * position, and the forked view's own options. The fork's handle keeps the
 * source's settings (fetch, headers, params, retry…); for others pass `target`.
 */
export interface ViewForkOptions
  extends Omit<MaterializeOptions, "url" | "stream" | "offset" | "from" | (typeof HANDLE_OPTIONS)[number]> {
  /** The fork's URL, on the source's server. Exclusive with `target`. */
  url?: string | URL
  /** A handle for the fork with its own settings. Exclusive with `url`. */
  target?: JsonStream | DurableStream
  /**
   * The delivered position to fork at: a checkpoint of this view, from
   * `capture()` (at any earlier moment) or from its checkpoint storage.
   * Default: the view's position now (`capture()`).
   */
  at?: Checkpoint
  /** The fork stream's idle TTL in whole seconds. Default: the source's (FK-06). Exclusive with `expiresAt`. */
  ttlSeconds?: number
  /** The fork stream's absolute expiry. Default: the source's (FK-06). */
  expiresAt?: Date | string
}

/** What the source view lends its fork: its handle, its options, and its position now. */
export interface ForkSource {
  json: JsonStream
  options: ResolvedMaterializeOptions
  capture(): Checkpoint
}

/**
 * Creates the fork stream and returns the options of its view: the source
 * view's schema, live mode, storage, interval and callbacks unless given,
 * starting `from` the checkpoint. Every option is checked before any request.
 */
export async function forkViewOptions(source: ForkSource, given: ViewForkOptions): Promise<MaterializeOptions> {
  const url = source.json.url
  const options = optionsObject(url, given, "fork options", "fork")
  if (given === undefined) throw invalidArgument(url, "fork needs options with a url or a target", "fork")
  const { url: forkUrl, target, at: givenAt, ttlSeconds, expiresAt, ...viewGiven } = options
  if ((forkUrl === undefined) === (target === undefined)) throw invalidArgument(url, "fork needs exactly one of url and target", "fork")
  const at = givenAt === undefined ? source.capture() : givenAt
  if (!isCheckpoint(at)) {
    throw invalidArgument(url, `at must be a checkpoint { offset, state } of this view, as capture() returns (got ${describeValue(at)})`, "fork")
  }
  if (at.offset === "" || at.offset === "-1" || at.offset === "now") {
    // No server offset names "the start" or "the tail when reading began" (FK-02).
    const cause = invalidArgument(
      String(forkUrl ?? target?.url ?? url),
      `the view has delivered no batch yet (offset ${JSON.stringify(at.offset)}): fork after view.ready, or at a checkpoint it saved`,
      "fork"
    )
    throw new ForkError("INVALID_FORK_POINT", url, cause)
  }
  const inherited = source.options
  const view: MaterializeOptions = {
    schema: inherited.schema,
    live: inherited.live,
    storage: inherited.storage,
    checkpointIntervalMs: inherited.checkpointIntervalMs,
    onInvalidMessage: inherited.onInvalidMessage,
    onCallbackError: inherited.onCallbackError,
    ...viewGiven,
  }
  // Checks the view's options (and the url) now, on a throwaway handle, so a mistake costs no fork.
  resolveMaterializeOptions(target === undefined ? { ...view, url: forkUrl } : { ...view, stream: target }, "fork")
  const fork = await source.json.fork({
    ...(target === undefined ? { url: forkUrl } : { target: target instanceof JsonStream ? target.stream : target }),
    offset: at.offset,
    ttlSeconds,
    expiresAt,
    signal: view.signal,
  })
  return { ...view, stream: fork, from: at }
}
