import { IdempotentProducer } from "@durable-client/json"
import { ProtocolHeaders as H, invalidArgument } from "@durable-client/json/internal"
import type {
  IdempotentAppendBatchCommand,
  IdempotentAppendCommand,
  IdempotentCloseCommand,
  IdempotentDetachCommand,
  Result,
} from "../protocol.ts"
import { payload } from "../adapter-kit/chunk-data.ts"
import type { AdapterState } from "./state.ts"

type ProducerCommand =
  | IdempotentAppendCommand
  | IdempotentAppendBatchCommand
  | IdempotentCloseCommand
  | IdempotentDetachCommand

/**
 * Producers as the public protocol scopes them. `idempotent-append`,
 * `idempotent-close` and `idempotent-detach` share one IdempotentProducer per
 * (path, producerId, epoch), kept across commands so consecutive appends
 * continue one sequence, as a long-lived writer would; the first command
 * that needs it decides its options. `idempotent-append-batch` is a
 * producer session of its own: a fresh producer queues the items, flushes
 * and detaches.
 */
export class Producers {
  private readonly producers = new Map<string, IdempotentProducer>()

  constructor(private readonly state: AdapterState) {}

  clear(): void {
    this.producers.clear()
  }

  async append(cmd: IdempotentAppendCommand): Promise<Result> {
    const producer = await this.get(cmd)
    const result = await producer.append(this.message(cmd.path, cmd.data, cmd.binary))
    return {
      type: "idempotent-append",
      success: true,
      status: 200,
      offset: result.offset,
      duplicate: result.duplicate,
      producerEpoch: producer.epoch,
      ...this.serverSeq(),
    }
  }

  async appendBatch(cmd: IdempotentAppendBatchCommand): Promise<Result> {
    const producer = await this.create(cmd)
    const messages = cmd.items.map((item) => this.message(cmd.path, item, false))
    const all = Promise.all(messages.map((message) => producer.append(message)))
    all.catch(() => undefined) // a failure is reported through flush() below
    let results: Awaited<typeof all>
    try {
      await producer.flush()
      results = await all
    } finally {
      await producer.detach().catch(() => undefined)
    }
    return {
      type: "idempotent-append-batch",
      success: true,
      status: 200,
      offset: results[results.length - 1]?.offset,
      duplicates: results.filter((r) => r.duplicate).length,
      producerEpoch: producer.epoch,
      ...this.serverSeq(),
    }
  }

  async close(cmd: IdempotentCloseCommand): Promise<Result> {
    const producer = await this.get(cmd)
    const result =
      cmd.data === undefined
        ? await producer.close()
        : await producer.close(this.message(cmd.path, cmd.data, false))
    return {
      type: "idempotent-close",
      success: true,
      status: 200,
      finalOffset: result.offset,
      producerEpoch: producer.epoch,
    }
  }

  async detach(cmd: IdempotentDetachCommand): Promise<Result> {
    const key = keyOf(cmd)
    const producer = this.producers.get(key)
    this.producers.delete(key)
    if (producer) await producer.detach()
    return { type: "idempotent-detach", success: true, status: 200 }
  }

  private async get(cmd: ProducerCommand): Promise<IdempotentProducer> {
    const key = keyOf(cmd)
    const existing = this.producers.get(key)
    if (existing) return existing
    const producer = await this.create(cmd)
    this.producers.set(key, producer)
    return producer
  }

  private async create(cmd: ProducerCommand): Promise<IdempotentProducer> {
    const stream = this.state.stream(cmd.path, cmd.headers)
    await this.state.contentTypeOf(stream, cmd.path)
    return new IdempotentProducer(stream, cmd.producerId, {
      epoch: cmd.epoch,
      autoClaim: cmd.autoClaim ?? false,
      lingerMs: cmd.lingerMs,
      maxInFlight: cmd.maxInFlight,
      maxBatchBytes: cmd.maxBatchBytes,
      maxBatchItems: cmd.maxBatchItems,
    })
  }

  /** A message as the producer takes it: a JSON value on JSON streams, else text or bytes. */
  private message(path: string, data: string, binary: boolean | undefined): unknown {
    if (!this.state.isJson(path)) return payload(data, binary)
    try {
      return JSON.parse(data) as unknown
    } catch {
      throw invalidArgument(this.state.url(path), `message is not JSON: ${data.slice(0, 80)}`, "append")
    }
  }

  /** The server's highest accepted producer seq seen during this command (`Producer-Seq`). */
  private serverSeq(): { producerSeq?: number } {
    const seq = this.state.recorder.maxResponseNumber(H.producerSeq)
    return seq === undefined ? {} : { producerSeq: seq }
  }
}

function keyOf(cmd: ProducerCommand): string {
  return `${cmd.path}|${cmd.producerId}|${cmd.epoch}`
}
