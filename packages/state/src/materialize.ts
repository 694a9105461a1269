import {
  DurableStreamError,
  isDurableStreamError,
  type JsonBatch,
  type JsonReadSession,
  type SessionStatus,
} from "@durable-client/json"
import {
  callbackFailed,
  describeValue,
  duration,
  invalidArgument,
  optionalSignal,
  optionsObject,
  reportCallbackError,
} from "@durable-client/json/internal"
import type { Checkpoint } from "./checkpoint-storage"
import { STATE_DEFAULTS } from "./defaults"
import { checkMessage } from "./entity-validation"
import { resolveMaterializeOptions, type MaterializeOptions, type ResolvedMaterializeOptions } from "./materialize-options"
import { StateMessageError } from "./message-validation"
import { MaterializedState, type ChangeObserver } from "./materialized-state"
import { forkViewOptions, type ViewForkOptions } from "./view-fork"
import type { StateMessage } from "./messages"

export type { MaterializeOptions } from "./materialize-options"

/**
 * A live materialized view of a State Protocol stream. Keeps the offset of
 * the last applied batch, checkpoints through `storage`, and rebuilds from
 * the start when the server says the offset is gone (410) or sends `reset`.
 */
export class Materializer {
  readonly state: MaterializedState
  readonly url: string
  /** Offset just after the last applied batch. */
  offset: string
  /** True once the view has caught up with the stream at least once. */
  caughtUp = false
  /** The first request's offset (tells whether a checkpoint was used). */
  startOffset: string | undefined
  /** Messages applied since start (after a restore: only the suffix). */
  messagesApplied = 0
  readonly ready: Promise<void>
  /** Settles when materializing stops: end of stream, close(), or an error. */
  readonly done: Promise<void>

  private readonly _options: ResolvedMaterializeOptions
  private readonly _controller = new AbortController()
  private _session: JsonReadSession | undefined
  private _readyResolve!: () => void
  private _readyReject!: (error: unknown) => void
  private readonly _seenTxids = new Set<string>()
  private readonly _txidWaiters = new Map<string, Set<() => void>>()
  private _checkpointTimer: ReturnType<typeof setTimeout> | undefined
  private _lastCheckpointAt = 0
  private _stopped = false
  private _failure: unknown

  constructor(options: MaterializeOptions) {
    this._options = resolveMaterializeOptions(options)
    this.url = this._options.json.url
    this.state = new MaterializedState({ url: this.url, onCallbackError: this._options.onCallbackError })
    this.offset = this._options.offset
    this.ready = new Promise<void>((resolve, reject) => {
      this._readyResolve = resolve
      this._readyReject = reject
    })
    this.ready.catch(() => undefined)
    const signal = this._options.signal
    if (signal) {
      if (signal.aborted) this._controller.abort()
      else signal.addEventListener("abort", () => void this.dispose(), { once: true })
    }
    this.done = this._run()
    this.done.catch(() => undefined)
  }

  get status(): SessionStatus {
    if (this._failure) return "error"
    return this._session?.status ?? (this._stopped ? "closed" : "connecting")
  }

  /**
   * Observers receive each applied batch's changes. One that throws is
   * reported (see `onCallbackError`); the others and the materializer go on.
   */
  subscribe(observer: ChangeObserver): () => void {
    return this.state.subscribe(observer)
  }

  /** Resolves when a change carrying `txid` has been applied (the echo of a write). */
  awaitTxid(txid: string, given?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void> {
    let options: { timeoutMs?: number; signal?: AbortSignal }
    try {
      options = this._awaitTxidOptions(txid, given)
    } catch (error) {
      return Promise.reject(error)
    }
    if (this._seenTxids.has(txid)) return Promise.resolve()
    if (this._failure) return Promise.reject(this._failure)
    if (this._stopped) return Promise.reject(this._stoppedError(`before txid ${txid} arrived`))
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const waiters = this._txidWaiters.get(txid) ?? new Set<() => void>()
      this._txidWaiters.set(txid, waiters)
      const cleanup = (): void => {
        waiters.delete(onSeen)
        if (waiters.size === 0) this._txidWaiters.delete(txid)
        if (timer !== undefined) clearTimeout(timer)
        options.signal?.removeEventListener("abort", onAbort)
      }
      const onSeen = (): void => {
        cleanup()
        if (this._seenTxids.has(txid)) resolve()
        else reject(this._failure ?? this._stoppedError(`before txid ${txid} arrived`))
      }
      const onAbort = (): void => {
        cleanup()
        reject(new DurableStreamError("ABORTED", `Waiting for txid ${txid} on stream ${this.url} was aborted`, { url: this.url }))
      }
      waiters.add(onSeen)
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          cleanup()
          reject(
            new DurableStreamError("TIMEOUT", `txid ${txid} did not arrive on stream ${this.url} within ${options.timeoutMs} ms`, {
              url: this.url,
              offset: this.offset,
            })
          )
        }, options.timeoutMs)
      }
      if (options.signal?.aborted) onAbort()
      else options.signal?.addEventListener("abort", onAbort, { once: true })
    })
  }

  private _awaitTxidOptions(txid: unknown, given: { timeoutMs?: number; signal?: AbortSignal } | undefined) {
    if (typeof txid !== "string" || txid === "") {
      throw invalidArgument(this.url, `awaitTxid needs a non-empty txid string (got ${describeValue(txid)})`)
    }
    const options = optionsObject(this.url, given, "awaitTxid options")
    return {
      // A NaN or 2^31 timeout would fire at once: refuse it rather than reject every wait.
      timeoutMs: options.timeoutMs === undefined ? undefined : duration(this.url, options.timeoutMs, "timeoutMs"),
      signal: optionalSignal(this.url, options.signal, "signal"),
    }
  }

  /**
   * A copy of the view's delivered position: the offset after the last
   * applied batch and the state there, what a checkpoint saves. The two
   * always agree, inside a `subscribe` observer too. Keep one to `fork` there later.
   */
  capture(): Checkpoint {
    return { offset: this.offset, state: this.state.toJSON() }
  }

  /**
   * Forks the stream at a delivered position (`at`, default: now) and
   * resolves with a view of the fork that starts from a copy of this view's
   * state there, so it reads only the fork's own suffix. The fork's handle
   * keeps this view's handle settings; its view keeps this view's schema,
   * live mode, storage (under the fork's URL), interval and callbacks unless
   * given. Refusals are `ForkError`s; bad options INVALID_ARGUMENT before any request.
   */
  async fork(options: ViewForkOptions): Promise<Materializer> {
    return new Materializer(await forkViewOptions({ json: this._options.json, options: this._options, capture: () => this.capture() }, options))
  }

  /** Saves a checkpoint now (no-op without storage); rejects with CALLBACK_FAILED if the storage fails. */
  async checkpoint(): Promise<void> {
    const storage = this._options.storage
    if (!storage) return
    if (this._checkpointTimer !== undefined) clearTimeout(this._checkpointTimer)
    this._checkpointTimer = undefined
    this._lastCheckpointAt = Date.now()
    const checkpoint: Checkpoint = { offset: this.offset, state: this.state.toJSON() }
    try {
      await storage.save(this._options.storageKey, checkpoint)
    } catch (thrown) {
      throw callbackFailed(this.url, "storage.save", thrown)
    }
  }

  /**
   * Stops reading, saves a final checkpoint and releases timers and
   * connections. The stream itself is untouched (`close` ends a stream on
   * the server; see the root README's verb table).
   */
  dispose(): Promise<void> {
    return this._stop()
  }

  /** @deprecated Use `dispose()`: `close()` ends the stream on the server in every other layer. */
  close(): Promise<void> {
    return this._stop()
  }

  private async _stop(): Promise<void> {
    if (this._stopped) return
    this._stopped = true
    this._controller.abort()
    await this._session?.cancel()
    await this.done.catch(() => undefined)
    if (!this._failure) await this._saveCheckpoint()
    if (this._checkpointTimer !== undefined) clearTimeout(this._checkpointTimer)
    this._checkpointTimer = undefined
    this._releaseWaiters()
  }

  private async _run(): Promise<void> {
    try {
      await this._restore()
      for (;;) {
        if (this._controller.signal.aborted) return
        this.startOffset ??= this.offset
        const session = this._options.json.read({
          offset: this.offset,
          live: this._options.live,
          shareAcrossTabs: this._options.shareAcrossTabs,
        })
        this._session = session
        try {
          await session.forEach((batch) => this._applyBatch(batch))
          if (!this._stopped) {
            // End of stream (closed) or a catch-up-only read.
            this.caughtUp = true
            this._readyResolve()
            await this._saveCheckpoint()
          }
          return
        } catch (error) {
          if (this._stopped) return
          if (isDurableStreamError(error) && error.code === "GONE") {
            // Our offset is no longer retained: start over from the beginning.
            await this._rebuild()
            continue
          }
          throw error
        }
      }
    } catch (error) {
      this._failure = error
      this._readyReject(error)
      this._releaseWaiters()
      throw error
    } finally {
      this._stopped = true
      // Stopped before catching up (close() or abort): ready must not stay pending.
      if (!this.caughtUp) this._readyReject(this._failure ?? this._stoppedError("before catching up"))
      // Ended (stream closed, catch-up done, close() or an error): no txid can arrive any more.
      this._releaseWaiters()
    }
  }

  /** The saved checkpoint, else the `from` one: a fork's view resumes its own progress after a restart. */
  private async _restore(): Promise<void> {
    const checkpoint = (await this._loadCheckpoint()) ?? this._options.from
    if (!checkpoint) return
    this.state.restore(checkpoint.state)
    this.offset = checkpoint.offset
  }

  private async _loadCheckpoint(): Promise<Checkpoint | undefined> {
    const storage = this._options.storage
    if (!storage) return undefined
    try {
      return await storage.load(this._options.storageKey)
    } catch (thrown) {
      // Safe to go on: without a checkpoint the state is rebuilt from the start.
      this._reportCallback("storage.load", thrown)
      return undefined
    }
  }

  private async _rebuild(): Promise<void> {
    await this._clearCheckpoint()
    this.state.clear()
    this.offset = "-1"
  }

  private async _applyBatch(batch: JsonBatch<unknown>): Promise<void> {
    const messages: StateMessage[] = []
    let reset = false
    for (const item of batch.items) {
      try {
        let checked = checkMessage(item, this._options.schema, this.url, this.offset)
        if (checked instanceof Promise) checked = await checked
        messages.push(checked)
        if ("control" in checked.headers && checked.headers.control === "reset") reset = true
      } catch (error) {
        const onInvalidMessage = this._options.onInvalidMessage
        // Only a bad message is skippable; a validator that threw (CALLBACK_FAILED) is not the message's fault.
        if (!onInvalidMessage || !(error instanceof StateMessageError)) throw error
        try {
          onInvalidMessage(error)
        } catch (thrown) {
          // The message is skipped as the callback asked; its own bug is reported, not fatal.
          this._reportCallback("onInvalidMessage", thrown)
        }
      }
    }
    // The offset moves with the state, so an observer (or a fork it starts) sees the two agree.
    this.offset = batch.offset
    // The state applies the snapshot and reset rules, and says which writes became visible.
    const visible = this.state.apply(messages)
    this.messagesApplied += messages.length
    if (reset) await this._clearCheckpoint()
    for (const txid of visible) this._markTxid(txid)
    if (batch.upToDate || batch.closed) {
      if (!this.caughtUp) {
        this.caughtUp = true
        this._readyResolve()
      }
      this._scheduleCheckpoint()
    }
  }

  private _scheduleCheckpoint(): void {
    if (!this._options.storage || this._checkpointTimer !== undefined) return
    const interval = this._options.checkpointIntervalMs
    const wait = Math.max(0, this._lastCheckpointAt + interval - Date.now())
    this._checkpointTimer = setTimeout(() => {
      this._checkpointTimer = undefined
      void this._saveCheckpoint()
    }, wait)
  }

  /** A checkpoint the view does not depend on: a failing storage is reported, and reading goes on. */
  private async _saveCheckpoint(): Promise<void> {
    try {
      await this.checkpoint()
    } catch (error) {
      reportCallbackError(error as DurableStreamError, this._options.onCallbackError)
    }
  }

  private async _clearCheckpoint(): Promise<void> {
    try {
      await this._options.storage?.clear(this._options.storageKey)
    } catch (thrown) {
      // A stale checkpoint left behind is replaced by the next save; reading goes on.
      this._reportCallback("storage.clear", thrown)
    }
  }

  private _reportCallback(callback: string, thrown: unknown): void {
    reportCallbackError(callbackFailed(this.url, callback, thrown, "read"), this._options.onCallbackError)
  }

  private _markTxid(txid: string): void {
    this._seenTxids.add(txid)
    // Bounded memory: forget the oldest txids; awaiting them later only costs a re-read.
    if (this._seenTxids.size > STATE_DEFAULTS.materialize.rememberedTxids) {
      const oldest = this._seenTxids.values().next().value
      if (oldest !== undefined) this._seenTxids.delete(oldest)
    }
    const waiters = this._txidWaiters.get(txid)
    if (waiters) for (const waiter of [...waiters]) waiter()
  }

  private _releaseWaiters(): void {
    for (const waiters of [...this._txidWaiters.values()]) for (const waiter of [...waiters]) waiter()
  }

  private _stoppedError(when: string): DurableStreamError {
    return new DurableStreamError("ABORTED", `Materializer for stream ${this.url} stopped ${when}`, { url: this.url })
  }
}

/** Starts materializing a State Protocol stream. */
export function materialize(options: MaterializeOptions): Materializer {
  return new Materializer(options)
}
