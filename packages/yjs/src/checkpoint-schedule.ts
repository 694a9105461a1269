import type { CheckpointWriter, DocCheckpoint } from "./doc-checkpoint"

/**
 * When a provider stores its checkpoint and outbox: a checkpoint at most once
 * per interval after the document changed, the outbox right after a burst of
 * edits. Nothing is scheduled before the stored state was restored, nor
 * while the provider is being destroyed. Without a writer it does nothing.
 */
export class CheckpointSchedule {
  private dirty = false
  private restoreDone = false
  private checkpointTimer: ReturnType<typeof setTimeout> | undefined
  private pendingTimer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly writer: CheckpointWriter | undefined,
    private readonly hooks: {
      intervalMs: number
      isDestroying: () => boolean
      /** Stores a checkpoint (the provider's `checkpoint()`). */
      checkpoint: () => void
      /** The outbox to store, merged; undefined clears it. */
      pending: () => Uint8Array | undefined
    }
  ) {}

  /** The stored state is applied: start scheduling what waited for it. */
  restored(hasPending: boolean): void {
    this.restoreDone = true
    if (hasPending) this.schedulePendingSave()
    if (this.dirty) this.markDirty()
  }

  markDirty(): void {
    if (!this.writer) return
    this.dirty = true
    if (!this.restoreDone || this.checkpointTimer !== undefined || this.hooks.isDestroying()) return
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined
      if (this.dirty) this.hooks.checkpoint()
    }, this.hooks.intervalMs)
  }

  schedulePendingSave(): void {
    if (!this.writer || !this.restoreDone || this.pendingTimer !== undefined || this.hooks.isDestroying()) return
    // Coalesces a burst of keystrokes into one write, then stores at once.
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined
      void this.writer?.savePending(this.hooks.pending)
    }, 0)
  }

  /** Stores a checkpoint now; `take()` runs when the write starts. */
  async saveCheckpoint(take: () => DocCheckpoint): Promise<DocCheckpoint | undefined> {
    clearTimeout(this.checkpointTimer)
    this.checkpointTimer = undefined
    if (!this.writer) return undefined
    this.dirty = true
    return this.writer.saveState(() => {
      this.dirty = false
      return take()
    })
  }

  cancelPendingSave(): void {
    clearTimeout(this.pendingTimer)
  }

  cancelCheckpoint(): void {
    clearTimeout(this.checkpointTimer)
  }
}
