import { type JsonStream, type LiveMode, type LiveSharing, type OnCallbackError } from "@durable-client/json"
import {
  describeValue,
  duration,
  invalidArgument,
  optionalFunction,
  optionalSignal,
  optionalString,
  readStart,
} from "@durable-client/json/internal"
import { isCheckpoint, type Checkpoint, type CheckpointStorage } from "./checkpoint-storage"
import { STATE_DEFAULTS } from "./defaults"
import type { StateMessageError } from "./message-validation"
import { isStateSchema, type StateSchema } from "./state-schema"
import { jsonStreamOf, type StreamSource } from "./stream-source"

const DEFAULTS = STATE_DEFAULTS.materialize

export interface MaterializeOptions extends StreamSource {
  /** Entity types and value schemas (`createStateSchema`); without it any well-formed message is applied. */
  schema?: StateSchema
  /**
   * Where to start when there is no checkpoint.
   * @default "-1"
   */
  offset?: string
  /**
   * Where to start when `storage` holds no checkpoint: a checkpoint (offset
   * and state), such as another view's (how `Materializer.fork` starts the
   * forked view). Its state is copied. Exclusive with `offset`.
   */
  from?: Checkpoint
  /**
   * `false` catches up once and stops.
   * @default "auto"
   */
  live?: LiveMode
  /** One live connection for all tabs: `tabSharing()` from `@durable-client/state/tab-sharing`. */
  shareAcrossTabs?: LiveSharing
  /** Saves (offset, state) so a restart reads only what came after. */
  storage?: CheckpointStorage
  /**
   * Checkpoint key.
   * @default the stream URL
   */
  storageKey?: string
  /**
   * Least time between checkpoint saves while live.
   * @default 1000 ms
   */
  checkpointIntervalMs?: number
  signal?: AbortSignal
  /**
   * Called for a malformed message or one its schema refuses; the message
   * is skipped and the rest of the stream still applies. Without it such a
   * message stops the materializer with the error.
   */
  onInvalidMessage?: (error: StateMessageError) => void
  /**
   * Receives CALLBACK_FAILED when a function you gave throws: a change
   * subscriber, `onInvalidMessage`, or checkpoint storage. The materializer
   * carries on either way. Without it such an error is reported to the
   * runtime as uncaught (`reportError`, or thrown from a timer).
   */
  onCallbackError?: OnCallbackError
}

export interface ResolvedMaterializeOptions {
  json: JsonStream
  schema: StateSchema | undefined
  offset: string
  from: Checkpoint | undefined
  live: LiveMode
  shareAcrossTabs: LiveSharing | undefined
  storage: CheckpointStorage | undefined
  storageKey: string
  checkpointIntervalMs: number
  signal: AbortSignal | undefined
  onInvalidMessage: ((error: StateMessageError) => void) | undefined
  onCallbackError: OnCallbackError | undefined
}

/**
 * The one place `materialize()`'s options are checked and defaulted. Every
 * mistake is an INVALID_ARGUMENT naming the stream and the option, thrown
 * before any request.
 */
export function resolveMaterializeOptions(given: MaterializeOptions, entry = "materialize"): ResolvedMaterializeOptions {
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw invalidArgument("(no url)", `${entry} options must be an object with a url or a stream (got ${describeValue(given)})`)
  }
  const json = jsonStreamOf(given, entry)
  const url = json.url
  const schema = given.schema
  if (schema !== undefined && !isStateSchema(schema)) {
    throw invalidArgument(url, `schema must be a state schema made by createStateSchema (got ${describeValue(schema)})`)
  }
  const { offset, live, shareAcrossTabs } = readStart(url, given, DEFAULTS.offset, DEFAULTS.live)
  const from = startCheckpoint(url, given.from, given.offset)
  return {
    json,
    schema,
    offset: from?.offset ?? offset,
    from,
    live,
    shareAcrossTabs,
    storage: checkpointStorage(url, given.storage),
    storageKey: optionalString(url, given.storageKey, "storageKey") ?? url,
    checkpointIntervalMs: duration(url, given.checkpointIntervalMs ?? DEFAULTS.checkpointIntervalMs, "checkpointIntervalMs", {
      min: 0,
    }),
    signal: optionalSignal(url, given.signal, "signal"),
    onInvalidMessage: optionalFunction<(error: StateMessageError) => void>(url, given.onInvalidMessage, "onInvalidMessage"),
    onCallbackError: optionalFunction<OnCallbackError>(url, given.onCallbackError, "onCallbackError"),
  }
}

/** A private _copy of `from`, so the view never shares rows with whoever gave it. */
function startCheckpoint(url: string, from: unknown, offset: unknown): Checkpoint | undefined {
  if (from === undefined) return undefined
  if (offset !== undefined) throw invalidArgument(url, "from and offset are mutually exclusive (from carries its offset)")
  if (!isCheckpoint(from) || from.offset === "") {
    throw invalidArgument(url, `from must be a checkpoint { offset, state } (got ${describeValue(from)})`)
  }
  try {
    return JSON.parse(JSON.stringify(from)) as Checkpoint
  } catch {
    throw invalidArgument(url, "from must be plain JSON (its state could not be copied)")
  }
}

function checkpointStorage(url: string, storage: unknown): CheckpointStorage | undefined {
  if (storage === undefined) return undefined
  const candidate = storage as Partial<Record<keyof CheckpointStorage, unknown>> | null
  if (
    typeof candidate !== "object" ||
    candidate === null ||
    typeof candidate.load !== "function" ||
    typeof candidate.save !== "function" ||
    typeof candidate.clear !== "function"
  ) {
    throw invalidArgument(
      url,
      `storage must have load, save and clear methods: memoryStorage(), keyValueStorage(localStorage) or your own (got ${describeValue(storage)})`
    )
  }
  return storage as CheckpointStorage
}
