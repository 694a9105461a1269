import { DurableStreamError, type DurableStream, type IdempotentProducer, type JsonStream } from "@durable-client/json"
import { optionalString, optionsObject } from "@durable-client/json/internal"
import { checkMessage } from "./entity-validation"
import type { ChangeMessage } from "./messages"
import type { StateSchema } from "./state-schema"
import { resolveStateWriter, type StateWriterOptions } from "./state-writer-options"
import { createTxid } from "./txid"

export type { StateWriterOptions } from "./state-writer-options"

/** What a `StateWriter.write` resolves with. */
export interface WriteResult {
  /** The txid stamped on every change of this write; await its echo on a materializer. */
  txid: string
  /** Stream tail after the write. */
  offset: string | undefined
}

/**
 * Writes State Protocol changes exactly once through an IdempotentProducer,
 * stamping one txid on all changes of a write so readers can tell when the
 * write has come back around (`materializer.awaitTxid(txid)`).
 */
export class StateWriter {
  readonly producer: IdempotentProducer
  private readonly _schema: StateSchema | undefined

  constructor(target: JsonStream | DurableStream | IdempotentProducer, options?: StateWriterOptions) {
    const resolved = resolveStateWriter(target, options)
    this.producer = resolved.producer
    this._schema = resolved.schema
  }

  get url(): string {
    return this.producer.url
  }

  /**
   * Validates, stamps the txid (an existing one on a change is kept) and
   * appends the changes in order. Resolves when all are acknowledged.
   */
  async write(changes: ChangeMessage | readonly ChangeMessage[], given?: { txid?: string }): Promise<WriteResult> {
    const options = optionsObject(this.url, given, "write options", "append")
    const chosenTxid = optionalString(this.url, options.txid, "txid", "append")
    const list = Array.isArray(changes) ? (changes as readonly ChangeMessage[]) : [changes as ChangeMessage]
    if (list.length === 0) {
      throw new DurableStreamError("INVALID_ARGUMENT", `Invalid argument for stream ${this.url}: nothing to write`, {
        url: this.url,
        operation: "append",
      })
    }
    const txid = chosenTxid ?? createTxid()
    const stamped: ChangeMessage[] = []
    for (const change of list) {
      // Only change messages carry a txid; the protocol has no place for one on a control message.
      const isChange = typeof change === "object" && change !== null && "operation" in (change.headers ?? {})
      const withTxid: ChangeMessage = isChange
        ? { ...change, headers: { ...change.headers, txid: change.headers.txid ?? txid } }
        : change
      let checked = checkMessage(withTxid, this._schema, this.url, undefined, "append")
      if (checked instanceof Promise) checked = await checked
      stamped.push(checked as ChangeMessage)
    }
    const acks = stamped.map((change) => this.producer.append(change))
    const results = await Promise.all(acks)
    return { txid, offset: results[results.length - 1]?.offset }
  }

  flush(): Promise<void> {
    return this.producer.flush()
  }

  async close(): Promise<void> {
    await this.producer.close()
  }

  detach(): Promise<void> {
    return this.producer.detach()
  }
}
