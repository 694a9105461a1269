import {
  DurableStream,
  DurableStreamError,
  IdempotentProducer,
  isDurableStreamError,
  type StreamChunk,
} from "@durable-client/state"
import { invalidArgument } from "@durable-client/state/internal"
import { Awareness } from "y-protocols/awareness"
import { applyUpdate, encodeStateAsUpdate, transact, type Doc } from "yjs"
import { AwarenessChannel } from "./awareness-channel"
import { ConditionWaiters } from "./condition-waiters"
import { CheckpointWriter, loadDocCheckpoint } from "./doc-checkpoint"
import { isRetryableFailure } from "./failure-kinds"
import { openFramesStream } from "./frames-stream"
import { LocalOutbox } from "./local-outbox"
import { Observable } from "./observable"
import { resolveProviderOptions, type DurableYjsProviderOptions, type ResolvedProviderOptions } from "./provider-options"
import { reconnectDelay, sleep } from "./reconnect-delay"
import { encodeFrame, FrameDecoder, FrameError, YJS_FRAMES_CONTENT_TYPE } from "./update-frames"

/** As in y-websocket: `connecting` until the stream answers, `connected` while reading, `disconnected` otherwise. */
export type ProviderStatus = "connecting" | "connected" | "disconnected"

/** Events a `DurableYjsProvider` emits (`on`, `off`, `once`). */
export interface DurableYjsProviderEvents {
  status: (event: { status: ProviderStatus }) => void
  /** The document caught up with the stream (true), or lost its connection (false). */
  sync: (synced: boolean) => void
  /** Same as `sync`, under y-websocket's other name. */
  synced: (synced: boolean) => void
  /** A failed request, storage write or connection; `provider.error` holds a failure that stopped it. */
  error: (error: Error) => void
  /** A document checkpoint was stored. */
  checkpoint: (event: { offset: string }) => void
  /** The number of local updates not yet stored on the server changed (an "unsaved edits" indicator). */
  pending: (count: number) => void
}

/** Read failures that say the saved offset does not fit the stream (rather than that the stream is broken). */
const OFFSET_FAILURES = new Set<string>(["GONE", "INVALID_OFFSET", "PROTOCOL_VIOLATION"])

/** Abort reason of a connection the caller ended (disconnect, destroy): not a failure. */
const ENDED = Symbol("connection ended")

const BRAND = Symbol.for("durable-client.DurableYjsProvider")

/**
 * Binds a `Y.Doc` to a durable stream of Yjs updates.
 *
 * - Local updates go out through the exactly-once `IdempotentProducer`,
 *   batched, each one a length-prefixed frame. Updates we apply from the
 *   stream carry this provider as transaction origin, so they are never sent back.
 * - A live read applies remote updates as they arrive; `synced` turns true
 *   once the document has caught up.
 * - With `storage`, a checkpoint (document state + offset) lets a reopened
 *   document read only what came after it, and unacknowledged local updates
 *   (the outbox) survive a reload or a crash and are resent.
 * - Lost connections are retried with backoff; edits made meanwhile wait in
 *   the outbox and merge on reconnect.
 * - `awareness` (y-protocols) is shared over a second, short-lived stream.
 */
export class DurableYjsProvider extends Observable<DurableYjsProviderEvents> {
  readonly doc: Doc
  readonly awareness: Awareness
  /** The document's stream URL. */
  readonly url: string
  /** The byte-stream handle underneath (the layer below stays reachable). */
  readonly stream: DurableStream
  /** Producer id of this writer on the document stream. */
  readonly producerId: string

  private readonly options: ResolvedProviderOptions
  private readonly ownsAwareness: boolean
  private readonly writer: CheckpointWriter | undefined
  private readonly outbox = new LocalOutbox()
  private readonly decoder = new FrameDecoder()
  /** Aborted to cut a wait between attempts short (disconnect, destroy). */
  private idle: AbortController | undefined
  private readonly restored: Promise<void>
  private restoreDone = false
  private statusValue: ProviderStatus = "disconnected"
  private syncedValue = false
  private offsetValue = "-1"
  private failure: Error | undefined
  private streamReady = false
  private shouldConnect = false
  private running: Promise<void> | undefined
  private connection: AbortController | undefined
  private producer: IdempotentProducer | undefined
  private nextEpoch = 0
  private awarenessChannel: AwarenessChannel | undefined
  private dirty = false
  private checkpointTimer: ReturnType<typeof setTimeout> | undefined
  private pendingTimer: ReturnType<typeof setTimeout> | undefined
  private destroying: Promise<void> | undefined
  private readonly waiters = new ConditionWaiters()

  constructor(doc: Doc, options: DurableYjsProviderOptions) {
    super()
    if (typeof options !== "object" || options === null) {
      throw invalidArgument("(no url)", "options must be an object with a url")
    }
    // The handle validates url, headers, params, fetch, retry and timeouts.
    this.stream = new DurableStream({
      url: options.url,
      headers: options.headers,
      params: options.params,
      fetch: options.fetch,
      retry: options.retry,
      timeouts: options.timeouts,
      contentType: YJS_FRAMES_CONTENT_TYPE,
    })
    this.url = this.stream.url
    if (!isDoc(doc)) throw invalidArgument(this.url, "doc must be a Y.Doc")
    this.options = resolveProviderOptions(this.url, options)
    this.doc = doc
    this.producerId = this.options.producerId ?? `yjs-${doc.clientID.toString(36)}-${randomPart()}`
    this.ownsAwareness = this.options.awareness?.instance === undefined
    this.awareness = this.options.awareness?.instance ?? new Awareness(doc)
    const { storage } = this.options
    this.writer = storage && new CheckpointWriter(storage, this.options.storageKey, (error) => this.report(error))

    // Content the document had before it met the provider is local too.
    if (doc.store.clients.size > 0) this.outbox.add(encodeStateAsUpdate(doc))
    doc.on("update", this.onDocUpdate)
    doc.on("destroy", this.onDocDestroy)
    this.restored = this.restore()

    const signal = this.options.signal
    if (signal) {
      if (signal.aborted) void this.destroy()
      else signal.addEventListener("abort", () => void this.destroy(), { once: true })
    }
    if (this.options.connect) this.connect()
  }

  static isInstance(value: unknown): value is DurableYjsProvider {
    return typeof value === "object" && value !== null && (value as { [BRAND]?: boolean })[BRAND] === true
  }

  get [BRAND](): boolean {
    return true
  }

  get status(): ProviderStatus {
    return this.statusValue
  }

  /** Whether the document has caught up with the stream on the current connection. */
  get synced(): boolean {
    return this.syncedValue
  }

  /** Stream offset the document holds everything up to (what a checkpoint saves). */
  get offset(): string {
    return this.offsetValue
  }

  /** Local updates not yet acknowledged by the server (the outbox). */
  get pendingUpdates(): number {
    return this.outbox.size
  }

  /** The failure that stopped the provider (a permanent one: closed stream, no access, foreign data), if any. */
  get error(): Error | undefined {
    return this.failure
  }

  /** Starts (or resumes) syncing. Does nothing once destroyed or failed. */
  connect(): void {
    if (this.destroying || this.failure) return
    this.shouldConnect = true
    this.running ??= this.run()
    if (this.options.awareness && !this.awarenessChannel) {
      this.awarenessChannel = new AwarenessChannel({
        ...this.options.awareness,
        awareness: this.awareness,
        stream: this.options.stream,
        live: this.options.live,
        reconnect: this.options.reconnect,
        onError: (error) => this.report(error),
      })
      this.awarenessChannel.start()
    }
  }

  /** Stops syncing (local edits are kept in the outbox); `connect()` resumes. */
  disconnect(): void {
    this.shouldConnect = false
    this.connection?.abort(ENDED)
    this.idle?.abort()
    this.setSynced(false)
    this.setStatus("disconnected")
    const channel = this.awarenessChannel
    this.awarenessChannel = undefined
    if (channel) void channel.stop("disconnect")
  }

  /** Resolves once the document has caught up with the stream. */
  waitForSynced(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.waitUntil(() => this.syncedValue, options.signal)
  }

  /** Resolves once every local update so far is stored on the server. */
  flush(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.waitUntil(() => this.outbox.size === 0, options.signal)
  }

  /** Stores a checkpoint now (without `storage`, does nothing). */
  async checkpoint(): Promise<void> {
    await this.restored
    clearTimeout(this.checkpointTimer)
    this.checkpointTimer = undefined
    if (!this.writer) return
    this.dirty = true
    const saved = await this.writer.saveState(() => {
      this.dirty = false
      return { offset: this.offsetValue, state: encodeStateAsUpdate(this.doc) }
    })
    if (saved) this.emit("checkpoint", { offset: saved.offset })
  }

  /**
   * Stops syncing, says goodbye on the awareness stream and stores a last
   * checkpoint and outbox. Resolves when they are stored. Idempotent.
   */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      this.doc.off("update", this.onDocUpdate)
      this.doc.off("destroy", this.onDocDestroy)
      // Our presence ends for good (not just for a disconnect): say goodbye in that mode.
      const channel = this.awarenessChannel
      this.awarenessChannel = undefined
      this.disconnect()
      await channel?.stop("destroy")
      if (this.ownsAwareness) this.awareness.destroy()
      await this.running
      await this.restored
      clearTimeout(this.pendingTimer)
      if (this.writer) {
        await this.checkpoint()
        await this.writer.savePending(() => this.outbox.merged())
        await this.writer.idle()
      }
      clearTimeout(this.checkpointTimer)
      this.waiters.rejectAll(this.destroyedError())
      this.setStatus("disconnected")
      this.removeAllListeners()
    })()
    return this.destroying
  }

  // ---- local updates ---------------------------------------------------------

  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this) return // from the stream or the checkpoint: never sent back
    this.outbox.add(update)
    this.emit("pending", this.outbox.size)
    this.schedulePendingSave()
    this.markDirty()
    this.sendOutbox()
  }

  private readonly onDocDestroy = (): void => {
    void this.destroy()
  }

  private sendOutbox(): void {
    const producer = this.producer
    if (!producer) return
    for (const entry of this.outbox.takeUnsent()) {
      producer.append(encodeFrame(entry.update)).then(
        () => {
          const before = this.outbox.size
          this.outbox.acknowledge(entry)
          if (this.outbox.size !== before) this.emit("pending", this.outbox.size)
          this.schedulePendingSave()
          this.waiters.check()
        },
        () => {
          // The producer failed; its onError ends the connection and the next one resends.
          entry.sent = false
        }
      )
    }
  }

  // ---- the connection loop ---------------------------------------------------

  private async run(): Promise<void> {
    await this.restored
    let attempt = 0
    while (this.shouldConnect && !this.failure) {
      const connection = new AbortController()
      this.connection = connection
      this.setStatus("connecting")
      let error: unknown
      try {
        await this.connectOnce(connection.signal, () => (attempt = 0), (reason) => connection.abort(reason))
        error = new DurableStreamError("STREAM_CLOSED", `Stream ${this.url} was closed: the document takes no more updates`, {
          url: this.url,
          operation: "read",
        })
      } catch (caught) {
        error = connection.signal.aborted ? connection.signal.reason : caught
      } finally {
        connection.abort(ENDED)
        this.connection = undefined
        this.producer = undefined
        this.setSynced(false)
      }
      if (error === ENDED || !this.shouldConnect) continue
      this.report(error)
      if (this.offsetValue !== "-1" && isDurableStreamError(error) && OFFSET_FAILURES.has(error.code)) {
        // Our saved offset does not fit this stream: its history was trimmed (GONE), or it was
        // deleted and created again (an offset past its tail). Read all there is, and send all we
        // know, since the stream may lack it; Yjs merges what both sides already had.
        this.offsetValue = "-1"
        this.outbox.add(encodeStateAsUpdate(this.doc))
        this.emit("pending", this.outbox.size)
        continue
      }
      if (!isRetryableFailure(error) || !isDurableStreamError(error)) {
        this.failure = error instanceof Error ? error : new Error(String(error))
        this.waiters.rejectAll(this.failure)
        break
      }
      this.setStatus("disconnected")
      const { initialDelayMs, maxDelayMs } = this.options.reconnect
      const idle = (this.idle = new AbortController())
      await sleep(reconnectDelay(attempt++, initialDelayMs, maxDelayMs), idle.signal)
      this.idle = undefined
    }
    this.running = undefined
    this.setStatus("disconnected")
  }

  private async connectOnce(signal: AbortSignal, progressed: () => void, end: (reason: unknown) => void): Promise<void> {
    if (!this.streamReady) {
      await openFramesStream(this.stream, { create: this.options.create, signal })
      this.streamReady = true
    }
    this.producer = new IdempotentProducer(this.stream, this.producerId, {
      epoch: this.nextEpoch++,
      autoClaim: true,
      lingerMs: this.options.lingerMs,
      signal,
      onError: (error) => end(error),
    })
    // Whatever the last producer had is resent, merged into one update.
    const before = this.outbox.size
    this.outbox.compact()
    if (this.outbox.size !== before) this.emit("pending", this.outbox.size)
    this.sendOutbox()
    this.decoder.reset()
    const session = this.stream.read({ offset: this.offsetValue, live: this.options.live, signal })
    session.onStatusChange((status) => {
      if (status === "live" || status === "catching-up") this.setStatus("connected")
      else if (status === "connecting") this.setStatus("connecting")
      else if (status === "backoff") {
        // The read lost its connection and waits to retry: what we have may be stale.
        this.setStatus("disconnected")
        this.setSynced(false)
      }
    })
    for await (const chunk of session) {
      progressed()
      this.setStatus("connected")
      this.applyChunk(chunk)
      if (chunk.upToDate && !this.syncedValue) {
        this.setSynced(true)
        if (this.writer) void this.checkpoint()
      }
    }
    // Iteration also ends quietly when the connection is aborted.
    if (signal.aborted) throw signal.reason
  }

  private applyChunk(chunk: StreamChunk): void {
    try {
      const updates = this.decoder.push(chunk.data)
      if (updates.length > 0) {
        // One transaction: observers run once per chunk, not once per update.
        transact(
          this.doc,
          () => {
            for (const update of updates) applyUpdate(this.doc, update, this)
          },
          this
        )
      }
    } catch (error) {
      const what = error instanceof FrameError ? error.message : `an update Yjs could not apply (${String(error)})`
      throw new DurableStreamError("PARSE_ERROR", `Stream ${this.url} after offset ${this.offsetValue}: ${what}`, {
        url: this.url,
        operation: "read",
        offset: this.offsetValue,
        cause: error,
      })
    }
    // A checkpoint may only name an offset between frames.
    if (!this.decoder.hasPartialFrame) this.offsetValue = chunk.offset
    if (chunk.data.length > 0) this.markDirty()
  }

  // ---- checkpoints -------------------------------------------------------------

  private async restore(): Promise<void> {
    try {
      if (!this.options.storage) return
      const { checkpoint, pending } = await loadDocCheckpoint(this.options.storage, this.options.storageKey)
      if (checkpoint) {
        applyUpdate(this.doc, checkpoint.state, this)
        this.offsetValue = checkpoint.offset
      }
      if (pending) {
        applyUpdate(this.doc, pending, this)
        this.outbox.add(pending)
      }
    } catch (error) {
      // An unreadable checkpoint is a cold open, not a failure.
      this.report(error)
    } finally {
      this.restoreDone = true
      if (this.outbox.size > 0) this.schedulePendingSave()
      if (this.dirty) this.markDirty()
    }
  }

  private markDirty(): void {
    if (!this.writer) return
    this.dirty = true
    if (!this.restoreDone || this.checkpointTimer !== undefined || this.destroying) return
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined
      if (this.dirty) void this.checkpoint()
    }, this.options.checkpointIntervalMs)
  }

  private schedulePendingSave(): void {
    if (!this.writer || !this.restoreDone || this.pendingTimer !== undefined || this.destroying) return
    // Coalesces a burst of keystrokes into one write, then stores at once.
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined
      void this.writer?.savePending(() => this.outbox.merged())
    }, 0)
  }

  // ---- state and events --------------------------------------------------------

  private setStatus(status: ProviderStatus): void {
    if (status === this.statusValue) return
    this.statusValue = status
    this.emit("status", { status })
  }

  private setSynced(synced: boolean): void {
    if (synced === this.syncedValue) return
    this.syncedValue = synced
    this.emit("sync", synced)
    this.emit("synced", synced)
    this.waiters.check()
  }

  private report(error: unknown): void {
    this.emit("error", error instanceof Error ? error : new Error(String(error)))
  }

  private waitUntil(ready: () => boolean, signal: AbortSignal | undefined): Promise<void> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.destroying && !ready()) return Promise.reject(this.destroyedError())
    return this.waiters.waitUntil(ready, signal)
  }

  private destroyedError(): DurableStreamError {
    return new DurableStreamError("ABORTED", `The Yjs provider of stream ${this.url} was destroyed`, { url: this.url })
  }
}

function isDoc(value: unknown): value is Doc {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Doc).clientID === "number" &&
    typeof (value as Doc).on === "function" &&
    typeof (value as Doc).transact === "function"
  )
}

function randomPart(): string {
  const random = globalThis.crypto?.getRandomValues?.(new Uint32Array(2))
  return random ? `${random[0]!.toString(36)}${random[1]!.toString(36)}` : Math.random().toString(36).slice(2)
}
