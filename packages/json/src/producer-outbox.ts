import { describeValue, invalidArgument } from "@durable-client/bytes/internal"
import type { Payload } from "./batch-builder"

/**
 * Where an `IdempotentProducer` keeps the batches it has sent and not yet
 * seen acknowledged, so a producer created after a crash (same id, same
 * outbox) resends them under their own (epoch, seq) and the server's dedupe
 * makes that exactly once. Any async (or sync) key-value store fits:
 * `createMemoryOutbox()`, `webStorageOutbox(localStorage)`, or an
 * AsyncStorage-like object through `webStorageOutbox` too.
 */
export interface ProducerOutbox {
  get(key: string): Promise<string | undefined> | string | undefined
  set(key: string, value: string): Promise<void> | void
  delete(key: string): Promise<void> | void
  /** Lists the keys held (for inspection; the producer does not need it). */
  keys?(): Promise<string[]> | string[]
}

/** An outbox in memory: survives a producer, not the process (tests, a tab that outlives its producers). */
export function createMemoryOutbox(): ProducerOutbox & { keys(): string[] } {
  const entries = new Map<string, string>()
  return {
    get: (key) => entries.get(key),
    set: (key, value) => void entries.set(key, value),
    delete: (key) => void entries.delete(key),
    keys: () => [...entries.keys()],
  }
}

/** `localStorage`/`sessionStorage` (sync) or React Native's `AsyncStorage` (async): what `webStorageOutbox` needs. */
export interface WebStorageLike {
  getItem(key: string): string | null | Promise<string | null>
  setItem(key: string, value: string): void | Promise<void>
  removeItem(key: string): void | Promise<void>
  /** AsyncStorage. */
  getAllKeys?(): Promise<readonly string[]>
  /** Web Storage. */
  key?(index: number): string | null
  readonly length?: number
}

/** An outbox over Web Storage or AsyncStorage; its keys start with `prefix`. */
export function webStorageOutbox(storage: WebStorageLike, prefix = "durable-client:"): ProducerOutbox {
  return {
    get: async (key) => (await storage.getItem(prefix + key)) ?? undefined,
    set: async (key, value) => storage.setItem(prefix + key, value),
    delete: async (key) => storage.removeItem(prefix + key),
    keys: async () => {
      let all: readonly string[] = []
      if (storage.getAllKeys) all = await storage.getAllKeys()
      else if (storage.key && storage.length !== undefined) {
        const found: string[] = []
        for (let i = 0; i < storage.length; i++) found.push(storage.key(i) ?? "")
        all = found
      }
      return all.filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length))
    },
  }
}

/** A sent batch as the outbox keeps it: resent under exactly this tuple. */
export interface OutboxSentBatch {
  epoch: number
  seq: number
  payloads: Payload[]
}

/** What the outbox holds for one producer: sent batches (by tuple) and messages known not stored (resent as new batches). */
export interface OutboxSnapshot {
  sent: OutboxSentBatch[]
  pending: Payload[][]
}

const FORMAT = "durable-client/producer-outbox@1"

/** The key of a producer's entry; the entry names its stream and id again, so a foreign entry is caught. */
export function outboxKey(url: string, producerId: string): string {
  return `producer:${producerId}@${url}`
}

export function encodeOutboxEntry(url: string, producerId: string, json: boolean, snapshot: OutboxSnapshot): string {
  const encode = (payloads: Payload[]): string[] => payloads.map((payload) => (json ? (payload as string) : toBase64(payload as Uint8Array)))
  return JSON.stringify({
    format: FORMAT,
    url,
    producerId,
    json,
    sent: snapshot.sent.map((batch) => ({ epoch: batch.epoch, seq: batch.seq, payloads: encode(batch.payloads) })),
    pending: snapshot.pending.map(encode),
  })
}

/** Reads an entry back; anything corrupt or written for another stream, producer or content type is INVALID_ARGUMENT. */
export function decodeOutboxEntry(url: string, producerId: string, json: boolean, text: unknown): OutboxSnapshot {
  const corrupt = (why: string) =>
    invalidArgument(url, `the outbox entry of producer ${producerId} is corrupt or foreign: ${why}`, "append")
  if (typeof text !== "string") throw corrupt(`expected a string, got ${describeValue(text)}`)
  let entry: unknown
  try {
    entry = JSON.parse(text)
  } catch {
    throw corrupt("not JSON")
  }
  if (!isRecord(entry) || entry.format !== FORMAT) throw corrupt(`not a ${FORMAT} entry`)
  if (entry.url !== url) throw corrupt(`written for stream ${describeValue(entry.url)}`)
  if (entry.producerId !== producerId) throw corrupt(`written for producer ${describeValue(entry.producerId)}`)
  if (entry.json !== json) throw corrupt(`written for a ${entry.json ? "JSON" : "byte"} stream`)
  const decode = (value: unknown): Payload[] => {
    if (!Array.isArray(value) || value.length === 0) throw corrupt("a batch without messages")
    return value.map((payload: unknown) => {
      if (typeof payload !== "string" || payload === "") throw corrupt("a message that is not a non-empty string")
      if (!json) return fromBase64(payload, corrupt)
      try {
        JSON.parse(payload)
      } catch {
        throw corrupt("a message that is not JSON text")
      }
      return payload
    })
  }
  if (!Array.isArray(entry.sent) || !Array.isArray(entry.pending)) throw corrupt("missing sent or pending")
  const sent = entry.sent.map((batch: unknown) => {
    if (!isRecord(batch) || !isSeqNumber(batch.epoch) || !isSeqNumber(batch.seq)) throw corrupt("a batch without a valid epoch and seq")
    return { epoch: batch.epoch, seq: batch.seq, payloads: decode(batch.payloads) }
  })
  for (let i = 1; i < sent.length; i++) {
    const [before, after] = [sent[i - 1]!, sent[i]!]
    if (before.epoch > after.epoch || (before.epoch === after.epoch && before.seq >= after.seq)) throw corrupt("sent batches out of order")
  }
  return { sent, pending: entry.pending.map(decode) }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value)
}

function isSeqNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0
}

function toBase64(bytes: Uint8Array): string {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

function fromBase64(text: string, corrupt: (why: string) => Error): Uint8Array {
  let binary: string
  try {
    binary = atob(text)
  } catch {
    throw corrupt("a message that is not base64")
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
