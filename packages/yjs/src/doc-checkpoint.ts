import type { Checkpoint, CheckpointStorage } from "@durable-client/state"
import { decodeBase64, encodeBase64 } from "@durable-client/state/internal"

/**
 * A document's local checkpoint, kept in the state layer's `CheckpointStorage`
 * (so `memoryStorage()`, `keyValueStorage(localStorage | AsyncStorage)` and
 * any adapter written for `materialize()` work unchanged), as two records:
 *
 * - `<key>`: `offset` and the encoded document state (`Y.encodeStateAsUpdate`),
 *   which holds at least everything the stream had up to that offset. A
 *   reopened document applies it and reads only the stream after `offset`.
 * - `<key>#pending`: the local updates the server has not acknowledged, merged
 *   into one update: the durable outbox, resent on reopen (applying a Yjs
 *   update twice is harmless). Small and written soon after every local edit,
 *   while the larger state record is written at most once per interval.
 *
 * Both are stored as a state-layer `Checkpoint` whose snapshot has one table,
 * `yjs`, holding base64 text: string stores need text, and `keyValueStorage`
 * checks the snapshot's shape.
 */
export interface DocCheckpoint {
  offset: string
  state: Uint8Array
}

const TABLE = "yjs"
const PENDING_SUFFIX = "#pending"

export function pendingKey(key: string): string {
  return key + PENDING_SUFFIX
}

function toCheckpoint(offset: string, bytes: Uint8Array, row: "state" | "pending"): Checkpoint {
  return { offset, state: { version: 1, tables: { [TABLE]: [[row, encodeBase64(bytes)]] } } }
}

function bytesOf(checkpoint: Checkpoint | undefined, row: "state" | "pending"): Uint8Array | undefined {
  const rows = checkpoint?.state?.tables?.[TABLE]
  if (!Array.isArray(rows)) return undefined
  const found = rows.find((entry) => Array.isArray(entry) && entry[0] === row)
  return typeof found?.[1] === "string" ? decodeBase64(found[1]) : undefined
}

/** The saved state and outbox; anything missing or unreadable counts as absent (a cold open). */
export async function loadDocCheckpoint(
  storage: CheckpointStorage,
  key: string
): Promise<{ checkpoint: DocCheckpoint | undefined; pending: Uint8Array | undefined }> {
  const [saved, outbox] = await Promise.all([storage.load(key), storage.load(pendingKey(key))])
  const state = bytesOf(saved, "state")
  const checkpoint = saved && typeof saved.offset === "string" && state ? { offset: saved.offset, state } : undefined
  const pending = bytesOf(outbox, "pending")
  return { checkpoint, pending: pending && pending.length > 0 ? pending : undefined }
}

/**
 * Writes records one at a time, in the order asked, so a later state never
 * lands before an earlier outbox. Each write reads its value only when its
 * turn comes, and a write asked for while an identical one waits joins it.
 */
export class CheckpointWriter {
  private chain: Promise<void> = Promise.resolve()
  private readonly queued = new Set<"state" | "pending">()

  constructor(
    private readonly storage: CheckpointStorage,
    private readonly key: string,
    private readonly onError: (error: unknown) => void
  ) {}

  /** Saves the document record; `take()` runs when the write starts and returns what to save. */
  saveState(take: () => DocCheckpoint | undefined): Promise<DocCheckpoint | undefined> {
    return this.enqueue("state", async () => {
      const checkpoint = take()
      if (checkpoint) await this.storage.save(this.key, toCheckpoint(checkpoint.offset, checkpoint.state, "state"))
      return checkpoint
    })
  }

  /** Saves the outbox (or clears it when `take()` finds nothing pending). */
  savePending(take: () => Uint8Array | undefined): Promise<unknown> {
    return this.enqueue("pending", async () => {
      const pending = take()
      if (pending) await this.storage.save(pendingKey(this.key), toCheckpoint("", pending, "pending"))
      else await this.storage.clear(pendingKey(this.key))
      return pending
    })
  }

  /** Resolves when every write asked for so far has finished. */
  idle(): Promise<void> {
    return this.chain
  }

  private enqueue<T>(record: "state" | "pending", write: () => Promise<T>): Promise<T | undefined> {
    if (this.queued.has(record)) return this.chain.then(() => undefined)
    this.queued.add(record)
    const result = this.chain.then(async () => {
      this.queued.delete(record)
      try {
        return await write()
      } catch (error) {
        this.onError(error)
        return undefined
      }
    })
    this.chain = result.then(
      () => undefined,
      () => undefined
    )
    return result
  }
}
