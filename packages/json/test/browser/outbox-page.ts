// Bundled into a page by outbox.test.ts: a producer with a durable outbox (IndexedDB or localStorage), driven from the test.
import { IdempotentProducer, JsonStream, type ProducerOutbox } from "../../src/index"
import { webStorageOutbox } from "../../src/outbox"
import { indexedDbKeyValue } from "../../src/indexeddb"

type Kind = "indexeddb" | "localStorage"

const outboxOf = (kind: Kind): ProducerOutbox =>
  webStorageOutbox(kind === "indexeddb" ? indexedDbKeyValue({ databaseName: "outbox-test" }) : localStorage)

let producer: IdempotentProducer<{ i: number }> | undefined

function open(url: string, kind: Kind): IdempotentProducer<{ i: number }> {
  // Small batches, so a thousand messages take many requests and the cut falls mid-flush.
  producer = new IdempotentProducer(new JsonStream<{ i: number }>({ url }), "page-writer", { outbox: outboxOf(kind), maxBatchItems: 20 })
  return producer
}

const api = {
  /** Appends [from, to); resolves once message `ackedAt` is stored (the network works), the rest still on its way. */
  async start(url: string, kind: Kind, from: number, to: number, ackedAt: number): Promise<void> {
    const writer = open(url, kind)
    const acks: Array<Promise<unknown>> = []
    for (let i = from; i < to; i++) acks.push(writer.append({ i }))
    await acks[ackedAt - from]
  },
  /** Appends [from, to) on the open producer; resolves once all of it is in the outbox (not on the stream). */
  async more(from: number, to: number): Promise<void> {
    for (let i = from; i < to; i++) void producer!.append({ i })
    await producer!.waitForOutbox()
  },
  /** After a reload: a producer with the same id and outbox resends what was pending; resolves once it is all stored. */
  async resume(url: string, kind: Kind): Promise<number> {
    const writer = open(url, kind)
    await writer.flush()
    // What is left of this stream's outbox: its head alone, the epoch and next seq.
    const keys = await outboxOf(kind).keys!()
    return keys.filter((key) => key.includes(url)).length
  },
  /** The IndexedDB store on its own: what a state checkpoint (keyValueStorage) or an outbox does with it. */
  async keyValue(step: "write" | "read" | "clear"): Promise<unknown> {
    const store = indexedDbKeyValue({ databaseName: "outbox-test", storeName: "checkpoints" })
    if (step === "write") {
      await store.setItem("a", JSON.stringify({ offset: "0_42", state: { version: 1, tables: {} } }))
      await store.setItem("b", "second")
    } else if (step === "clear") {
      await store.removeItem("a")
    }
    return { a: await store.getItem("a"), b: await store.getItem("b"), keys: (await store.getAllKeys()).sort() }
  },
}
;(globalThis as unknown as { outboxTest: typeof api }).outboxTest = api
