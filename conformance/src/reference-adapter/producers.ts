import { IdempotentProducer } from "@durable-streams/client"
import { payload } from "../adapter-kit/chunk-data.ts"
import type {
  IdempotentAppendBatchCommand,
  IdempotentAppendCommand,
  IdempotentCloseCommand,
  IdempotentDetachCommand,
  Result,
} from "../protocol.ts"
import { ArgumentError } from "./errors.ts"
import type { ReferenceState } from "./state.ts"

type ProducerCommand = IdempotentAppendCommand | IdempotentAppendBatchCommand | IdempotentCloseCommand | IdempotentDetachCommand

interface Entry {
  producer: IdempotentProducer
  /** This client's append() is fire-and-forget: failures arrive through onError. */
  errors: Error[]
}

/**
 * Producers scoped as the public protocol scopes them: one per (path,
 * producerId, epoch) shared by `idempotent-append`, `-close` and `-detach`
 * across commands; a fresh one for each `idempotent-append-batch`, detached
 * when the batch is done.
 */
export class ReferenceProducers {
  private readonly producers = new Map<string, Entry>()

  constructor(private readonly state: ReferenceState) {}

  clear(): void {
    this.producers.clear()
  }

  async append(cmd: IdempotentAppendCommand): Promise<Result> {
    const { producer, errors } = await this.get(cmd)
    producer.append(payload(cmd.data, cmd.binary))
    await producer.flush()
    if (errors.length > 0) throw errors.shift()
    return { type: cmd.type, success: true, status: 200, producerEpoch: producer.epoch }
  }

  async appendBatch(cmd: IdempotentAppendBatchCommand): Promise<Result> {
    const { producer, errors } = await this.create(cmd)
    try {
      for (const item of cmd.items) producer.append(item)
      await producer.flush()
    } finally {
      await producer.detach().catch(() => undefined)
    }
    if (errors.length > 0) throw errors.shift()
    return { type: cmd.type, success: true, status: 200, producerEpoch: producer.epoch }
  }

  async close(cmd: IdempotentCloseCommand): Promise<Result> {
    const { producer, errors } = await this.get(cmd)
    const result = cmd.data === undefined ? await producer.close() : await producer.close(cmd.data)
    if (errors.length > 0) throw errors.shift()
    return { type: cmd.type, success: true, status: 200, finalOffset: result.finalOffset }
  }

  async detach(cmd: IdempotentDetachCommand): Promise<Result> {
    const key = keyOf(cmd)
    const entry = this.producers.get(key)
    this.producers.delete(key)
    if (entry) await entry.producer.detach()
    return { type: cmd.type, success: true, status: 200 }
  }

  private async get(cmd: ProducerCommand): Promise<Entry> {
    const key = keyOf(cmd)
    const existing = this.producers.get(key)
    if (existing) return existing
    const entry = await this.create(cmd)
    this.producers.set(key, entry)
    return entry
  }

  private async create(cmd: ProducerCommand): Promise<Entry> {
    await this.state.learnContentType(cmd.path)
    const errors: Error[] = []
    try {
      const producer = new IdempotentProducer(this.state.handle(cmd.path, cmd.headers), cmd.producerId, {
        epoch: cmd.epoch,
        autoClaim: cmd.autoClaim ?? false,
        maxInFlight: cmd.maxInFlight,
        lingerMs: cmd.lingerMs,
        maxBatchBytes: cmd.maxBatchBytes,
        fetch: this.state.fetch,
        onError: (error) => errors.push(error),
      })
      return { producer, errors }
    } catch (error) {
      // The constructor checks its options and throws plain Errors.
      throw new ArgumentError(error instanceof Error ? error.message : String(error))
    }
  }
}

function keyOf(cmd: ProducerCommand): string {
  return `${cmd.path}|${cmd.producerId}|${cmd.epoch}`
}
