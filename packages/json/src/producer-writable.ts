import { describeValue, invalidArgument, optionalBoolean, optionsObject } from "@durable-client/bytes/internal"
import { IdempotentProducer } from "./idempotent-producer"

/** Options of `producerWritable`. */
export interface ProducerWritableOptions {
  /**
   * What `close()` on the writable does after flushing: `true` closes the
   * stream on the server too (`producer.close()`), `false` only detaches the
   * producer (`producer.detach()`), leaving the stream open for other writers.
   * @default false
   */
  closeStream?: boolean
}

const noop = (): void => undefined

/**
 * A WHATWG `WritableStream` over an `IdempotentProducer`: each chunk is one
 * message (a JSON value on JSON streams; bytes or a string on byte streams),
 * written exactly once and in order, so
 * `response.body.pipeThrough(new TextDecoderStream()).pipeTo(producerWritable(producer))`
 * persists a body as it arrives.
 *
 * Backpressure follows the producer: the queuing strategy's high-water mark
 * is `maxBufferedBytes` (chunks counted by about their encoded size), and a
 * write waits on `producer.waitForCapacity()` while the producer's buffer is full, so a
 * pipe slows down to what the network takes (at most about twice
 * `maxBufferedBytes` is held: the producer's buffer and the stream's queue).
 *
 * `close()` flushes, and closes the stream on the server with
 * `closeStream: true`; `abort()` detaches the producer (what was written
 * before is still flushed, nothing more is accepted). A failed producer
 * errors the writable with its error, so a pipe stops and rejects with it.
 */
export function producerWritable<T = unknown>(
  producer: IdempotentProducer<T>,
  options?: ProducerWritableOptions
): WritableStream<T | Uint8Array | string> {
  if (!(producer instanceof IdempotentProducer)) {
    throw invalidArgument("(no url)", `producerWritable needs an IdempotentProducer (got ${describeValue(producer)})`)
  }
  const given = optionsObject(producer.url, options, "producerWritable options")
  const closeStream = optionalBoolean(producer.url, given.closeStream, "closeStream") ?? false

  // The first failure of any append: it errors the writable, so a pipe stops at once.
  let failure: unknown
  let rejectFailed: (error: unknown) => void = noop
  const failed = new Promise<never>((_, reject) => {
    rejectFailed = reject
  })
  failed.catch(noop)
  let controller: WritableStreamDefaultController | undefined
  const fail = (error: unknown): void => {
    if (failure !== undefined) return
    failure = error
    rejectFailed(error)
    controller?.error(error)
  }

  return new WritableStream<T | Uint8Array | string>(
    {
      start(given) {
        controller = given
      },
      async write(chunk) {
        if (failure !== undefined) throw failure
        // Not awaited: waiting for each ack would send one message per batch.
        // A failure rejects every later append too, and errors the writable.
        producer.append(chunk).then(undefined, fail)
        await Promise.race([producer.waitForCapacity(), failed])
        // An append refused at once (a chunk the stream cannot carry) has failed by now.
        if (failure !== undefined) throw failure
      },
      async close() {
        if (closeStream) await producer.close()
        else await producer.detach()
        if (failure !== undefined) throw failure
      },
      async abort() {
        await producer.detach()
      },
    },
    { highWaterMark: producer.maxBufferedBytes, size: approximateSize }
  )
}

/** About what a chunk adds to the producer's buffer; exactness is not needed for a queuing strategy. */
function approximateSize(chunk: unknown): number {
  if (chunk instanceof Uint8Array) return chunk.byteLength
  if (typeof chunk === "string") return chunk.length + 2
  try {
    return JSON.stringify(chunk)?.length ?? 1
  } catch {
    return 1 // the producer refuses it when it is written
  }
}
