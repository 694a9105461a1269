// Bundled into a page by indexeddb-storage.test.ts: the adapter and a provider, driven from the test.
import { Doc } from "yjs"
import { DurableYjsProvider, indexedDbStorage, type Checkpoint } from "../../src/index"

const storage = indexedDbStorage({ databaseName: "yjs-test" })

const api = {
  save: (key: string, checkpoint: Checkpoint) => storage.save(key, checkpoint),
  load: (key: string) => storage.load(key),
  clear: (key: string) => storage.clear(key),
  /** Opens the document; resolves with its text once it holds `expect` (from the checkpoint or the stream). */
  async open(url: string, edit: string | undefined, expect: string): Promise<string> {
    const doc = new Doc()
    const provider = new DurableYjsProvider(doc, { url, storage, awareness: false })
    const text = doc.getText("text")
    if (text.toString() !== expect) {
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (text.toString() !== expect) return
          doc.off("update", check)
          resolve()
        }
        doc.on("update", check)
      })
    }
    if (edit !== undefined) {
      await provider.waitForSynced()
      text.insert(text.length, edit)
      await provider.flush()
    }
    const result = text.toString()
    await provider.destroy()
    return result
  },
}
;(globalThis as unknown as { idbTest: typeof api }).idbTest = api
