import { DurableStream, isDurableStreamError, type DurableStreamOptions } from "@durable-client/state"
import {
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
  type Awareness,
} from "y-protocols/awareness"
import { isRetryableFailure } from "./failure-kinds"
import { openFramesStream } from "./frames-stream"
import type { ProviderLiveMode, ReconnectOptions, ResolvedAwarenessOptions } from "./provider-options"
import { reconnectDelay, sleep } from "./reconnect-delay"
import { encodeFrame, FrameDecoder, YJS_FRAMES_CONTENT_TYPE } from "./update-frames"

/** How long a goodbye may take before the channel stops anyway. */
const GOODBYE_TIMEOUT_MS = 2000

interface AwarenessChange {
  added: number[]
  updated: number[]
  removed: number[]
}

export interface AwarenessChannelOptions extends ResolvedAwarenessOptions {
  awareness: Awareness
  stream: DurableStreamOptions
  live: ProviderLiveMode
  reconnect: Required<ReconnectOptions>
  onError: (error: unknown) => void
}

/**
 * Presence over a second stream: a byte stream of framed y-protocols
 * awareness updates, with a short TTL so an idle room's stream disappears.
 *
 * - Only our own state is ever sent: at most once per `throttleMs` (the first
 *   change goes at once, later ones in the window are coalesced), and again
 *   every `timeoutMs / 2` as a heartbeat.
 * - Reads start at the tail: history is of no use. So that a newcomer learns
 *   who is already there, every peer resends its state when it hears an
 *   unknown client.
 * - A peer not heard from for `timeoutMs` is removed; one that leaves
 *   (`stop()`) sends a null state first, so the others drop it at once.
 * - If the stream expired (TTL) it is created again, by whoever notices.
 */
export class AwarenessChannel {
  private readonly awareness: Awareness
  private readonly stream: DurableStream
  private readonly lifetime = new AbortController()
  private lastSentAt = Number.NEGATIVE_INFINITY
  private sendTimer: ReturnType<typeof setTimeout> | undefined
  private readonly checkTimer: ReturnType<typeof setInterval>
  private streamReady = false
  private running: Promise<void> | undefined

  constructor(private readonly options: AwarenessChannelOptions) {
    this.awareness = options.awareness
    this.stream = new DurableStream({ ...options.stream, url: options.url, contentType: YJS_FRAMES_CONTENT_TYPE })
    this.awareness.on("update", this.onUpdate)
    this.awareness.on("change", this.onChange)
    this.checkTimer = setInterval(() => this.check(), Math.max(5, Math.floor(options.timeoutMs / 4)))
  }

  /** Reads the room until `stop()`, reconnecting with backoff. */
  start(): void {
    // A newer clock than any goodbye we sent, so peers take us back.
    const state = this.awareness.getLocalState()
    if (state !== null) this.awareness.setLocalState(state)
    this.running ??= this.run()
  }

  /**
   * Says goodbye (a null state, so peers drop us at once), stops reading and
   * clears every timer. On "destroy" our local state is removed too; on
   * "disconnect" it is kept (with a newer clock once we are back), and the
   * peers we knew are forgotten, since we no longer hear from them.
   */
  async stop(mode: "disconnect" | "destroy"): Promise<void> {
    if (this.lifetime.signal.aborted) return
    this.awareness.off("update", this.onUpdate)
    this.awareness.off("change", this.onChange)
    clearInterval(this.checkTimer)
    clearTimeout(this.sendTimer)
    const id = this.awareness.clientID
    const present = this.awareness.getLocalState() !== null && this.streamReady
    let goodbye: Uint8Array | undefined
    if (mode === "destroy") {
      removeAwarenessStates(this.awareness, [id], "local")
      goodbye = encodeFrame(encodeAwarenessUpdate(this.awareness, [id]))
    } else {
      // A null state at our current clock: peers drop us; our own state stays as it is.
      goodbye = encodeFrame(encodeAwarenessUpdate(this.awareness, [id], new Map()))
      const others = [...this.awareness.getStates().keys()].filter((client) => client !== id)
      if (others.length > 0) removeAwarenessStates(this.awareness, others, this)
    }
    this.lifetime.abort()
    const timeout = new AbortController()
    const timer = setTimeout(() => timeout.abort(), GOODBYE_TIMEOUT_MS)
    if (present) await this.stream.append(goodbye, { signal: timeout.signal }).catch(() => undefined)
    clearTimeout(timer)
    await this.running
  }

  private frame(): Uint8Array {
    return encodeFrame(encodeAwarenessUpdate(this.awareness, [this.awareness.clientID]))
  }

  private readonly onUpdate = (change: AwarenessChange, origin: unknown): void => {
    if (origin === this) return
    if (change.added.includes(this.awareness.clientID) || change.updated.includes(this.awareness.clientID) || change.removed.includes(this.awareness.clientID)) {
      this.scheduleSend()
    }
  }

  private readonly onChange = (change: AwarenessChange, origin: unknown): void => {
    // Someone new: tell them we are here too.
    if (origin === this && change.added.some((id) => id !== this.awareness.clientID)) this.scheduleSend()
  }

  private scheduleSend(): void {
    if (this.sendTimer !== undefined || this.lifetime.signal.aborted) return
    const wait = Math.max(0, this.lastSentAt + this.options.throttleMs - Date.now())
    this.sendTimer = setTimeout(() => {
      this.sendTimer = undefined
      void this.send()
    }, wait)
  }

  private async send(): Promise<void> {
    if (!this.streamReady) return // sent once the stream is there
    this.lastSentAt = Date.now()
    const signal = this.lifetime.signal
    try {
      await this.stream.append(this.frame(), { signal })
    } catch (error) {
      if (signal.aborted) return
      if (isDurableStreamError(error) && error.code === "NOT_FOUND") {
        // The stream expired; the read loop notices too and creates it again.
        this.streamReady = false
        return
      }
      this.options.onError(error)
    }
  }

  /** Heartbeat and timeouts. y-protocols keeps its own 30 s versions; these allow shorter ones. */
  private check(): void {
    const now = Date.now()
    const { timeoutMs } = this.options
    if (this.awareness.getLocalState() !== null && now - this.lastSentAt >= timeoutMs / 2) {
      // Renewing bumps our clock, so peers accept it as news; onUpdate sends it.
      this.awareness.setLocalState(this.awareness.getLocalState())
    }
    const silent: number[] = []
    for (const [id, meta] of this.awareness.meta) {
      if (id !== this.awareness.clientID && this.awareness.states.has(id) && now - meta.lastUpdated >= timeoutMs) silent.push(id)
    }
    if (silent.length > 0) removeAwarenessStates(this.awareness, silent, "timeout")
  }

  private async run(): Promise<void> {
    const signal = this.lifetime.signal
    const decoder = new FrameDecoder()
    let attempt = 0
    while (!signal.aborted) {
      try {
        let offset: string | undefined
        if (!this.streamReady) {
          offset = await openFramesStream(this.stream, { create: true, ttlSeconds: this.options.ttlSeconds, signal })
          this.streamReady = true
        } else {
          offset = (await this.stream.head({ signal })).offset
        }
        decoder.reset()
        // Read from the tail as it was before we speak, so no answer to our hello is missed.
        const session = this.stream.read({ offset: offset ?? "now", live: this.options.live, signal })
        void this.send()
        for await (const chunk of session) {
          attempt = 0
          for (const update of decoder.push(chunk.data)) applyAwarenessUpdate(this.awareness, update, this)
        }
        // The stream was closed: make a new one on the next round.
        this.streamReady = false
      } catch (error) {
        if (signal.aborted) return
        if (isDurableStreamError(error) && (error.code === "NOT_FOUND" || error.code === "GONE")) {
          // Expired (TTL): created again on the next round.
          this.streamReady = false
        } else {
          this.options.onError(error)
          // Not ours to fix (refused, foreign data): presence stays off, the document goes on.
          if (!isRetryableFailure(error)) return
        }
        const { initialDelayMs, maxDelayMs } = this.options.reconnect
        await sleep(reconnectDelay(attempt++, initialDelayMs, maxDelayMs), signal)
      }
    }
  }
}
