import { DurableStream, IdempotentProducer, JsonStream, type IdempotentProducerOptions } from "@durable-client/json"
import { describeValue, invalidArgument, optionsObject } from "@durable-client/json/internal"
import { STATE_DEFAULTS } from "./defaults"
import { isStateSchema, type StateSchema } from "./state-schema"
import { createTxid } from "./txid"

/** Options of `StateWriter`. */
export interface StateWriterOptions extends IdempotentProducerOptions {
  /**
   * Producer id.
   * @default a random one (no fencing across restarts then)
   */
  producerId?: string
  /** Validates values before anything is sent. */
  schema?: StateSchema
}

export interface ResolvedStateWriter {
  producer: IdempotentProducer
  schema: StateSchema | undefined
}

/**
 * The one place a StateWriter's target and options are checked. A producer
 * given as the target keeps its own settings, so producer options beside it
 * are refused rather than silently ignored; on a handle, they go to the
 * producer's own resolver.
 */
export function resolveStateWriter(target: unknown, given: StateWriterOptions | undefined): ResolvedStateWriter {
  const isHandle = target instanceof JsonStream || target instanceof DurableStream
  if (!isHandle && !(target instanceof IdempotentProducer)) {
    throw invalidArgument(
      "(no url)",
      `StateWriter needs a JsonStream, DurableStream or IdempotentProducer (got ${describeValue(target)})`
    )
  }
  const url = target.url
  const { producerId, schema, ...producerOptions } = optionsObject(url, given, "StateWriter options")
  if (schema !== undefined && !isStateSchema(schema)) {
    throw invalidArgument(url, `schema must be a state schema made by createStateSchema (got ${describeValue(schema)})`)
  }
  if (target instanceof IdempotentProducer) {
    const misplaced = [...(producerId !== undefined ? ["producerId"] : []), ...Object.keys(producerOptions)]
    if (misplaced.length > 0) {
      throw invalidArgument(url, `${misplaced.join(", ")} belong on the IdempotentProducer passed to StateWriter (they would be ignored here)`)
    }
    return { producer: target, schema }
  }
  const id = producerId ?? `${STATE_DEFAULTS.writer.producerIdPrefix}${createTxid()}`
  return { producer: new IdempotentProducer(target, id, producerOptions), schema }
}
