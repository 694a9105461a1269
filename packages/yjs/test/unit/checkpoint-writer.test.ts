import { describe, expect, it } from "vitest"
import { keyValueStorage, memoryStorage, type Checkpoint, type CheckpointStorage } from "../../src/index"
import { CheckpointWriter, loadDocCheckpoint, pendingKey } from "../../src/doc-checkpoint"

/** A storage whose writes finish only when the test says so, recording their order. */
function slowStorage() {
  const inner = memoryStorage()
  const log: string[] = []
  const gates: Array<() => void> = []
  const storage: CheckpointStorage = {
    load: inner.load,
    save: async (key, checkpoint) => {
      log.push(`save ${key}`)
      await new Promise<void>((resolve) => gates.push(resolve))
      await inner.save(key, checkpoint)
    },
    clear: async (key) => {
      log.push(`clear ${key}`)
      await inner.clear(key)
    },
  }
  return { storage, log, release: () => gates.shift()?.() }
}

describe("CheckpointWriter", () => {
  it("writes one record at a time, in order; a write asked for while an equal one waits joins it", async () => {
    const { storage, log, release } = slowStorage()
    const writer = new CheckpointWriter(storage, "doc", () => undefined)
    let state = new Uint8Array([1])
    const first = writer.saveState(() => ({ offset: "a", state }))
    await new Promise((resolve) => setTimeout(resolve, 0)) // the first write has started, held by the storage
    const second = writer.saveState(() => ({ offset: "b", state }))
    const third = writer.saveState(() => ({ offset: "c", state })) // joins the second, still queued
    const pending = writer.savePending(() => undefined)
    state = new Uint8Array([2]) // read when the second write's turn comes, not when it was asked for
    release()
    await first
    await new Promise((resolve) => setTimeout(resolve, 0))
    release()
    await Promise.all([second, third, pending])
    expect(log).toEqual(["save doc", "save doc", "clear doc#pending"])
    const { checkpoint } = await loadDocCheckpoint(storage, "doc")
    expect(checkpoint).toEqual({ offset: "b", state: new Uint8Array([2]) })
  })

  it("reports a failed write and goes on with the next", async () => {
    const errors: unknown[] = []
    const storage: CheckpointStorage = { ...memoryStorage(), save: () => Promise.reject(new Error("quota")) }
    const writer = new CheckpointWriter(storage, "doc", (error) => errors.push(error))
    await expect(writer.saveState(() => ({ offset: "a", state: new Uint8Array([1]) }))).resolves.toBeUndefined()
    await writer.savePending(() => undefined)
    expect(errors).toHaveLength(1)
  })

  it("stores records keyValueStorage accepts, and treats anything else there as no checkpoint", async () => {
    const items = new Map<string, string>()
    const backend = { getItem: (k: string) => items.get(k), setItem: (k: string, v: string) => void items.set(k, v), removeItem: (k: string) => void items.delete(k) }
    const storage = keyValueStorage(backend)
    const writer = new CheckpointWriter(storage, "doc", (error) => {
      throw error
    })
    await writer.saveState(() => ({ offset: "0_12", state: new Uint8Array([0, 1, 2, 250]) }))
    await writer.savePending(() => new Uint8Array([9, 9]))
    expect(await loadDocCheckpoint(storage, "doc")).toEqual({
      checkpoint: { offset: "0_12", state: new Uint8Array([0, 1, 2, 250]) },
      pending: new Uint8Array([9, 9]),
    })
    // A materialize() checkpoint under the same key is not a document: ignored, not misread.
    const foreign: Checkpoint = { offset: "0_5", state: { version: 1, tables: { todo: [["k", { done: true }]] } } }
    await storage.save("doc", foreign)
    await storage.save(pendingKey("doc"), foreign)
    expect(await loadDocCheckpoint(storage, "doc")).toEqual({ checkpoint: undefined, pending: undefined })
  })
})
