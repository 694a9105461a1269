import type { SetupServer } from "msw/node"
import { DurableStream, IdempotentProducer, JsonStream, type IdempotentProducerOptions } from "../../../src/index"
import { FakeProducerServer, type FakeServerOptions } from "./fake-producer-server"
import { FAST_RETRY, streamUrl } from "./msw"

export interface ProducerSetup<P> {
  fake: FakeProducerServer
  producer: P
  url: string
}

/** A fake server for a fresh JSON stream plus a fast producer on it. */
export function jsonProducer(
  server: SetupServer,
  options: IdempotentProducerOptions = {},
  serverOptions: FakeServerOptions = {},
  producerId = "writer"
): ProducerSetup<IdempotentProducer> {
  const url = streamUrl("producer")
  const fake = new FakeProducerServer(url, serverOptions)
  server.use(...fake.handlers())
  const stream = new JsonStream({ url, contentType: fake.contentType })
  const producer = new IdempotentProducer(stream, producerId, {
    lingerMs: 0,
    ...options,
    retry: { ...FAST_RETRY, ...options.retry },
  })
  return { fake, producer, url }
}

/** Same for a byte stream. */
export function byteProducer(
  server: SetupServer,
  options: IdempotentProducerOptions = {},
  contentType = "application/octet-stream"
): ProducerSetup<IdempotentProducer> {
  const url = streamUrl("byte-producer")
  const fake = new FakeProducerServer(url, { contentType })
  server.use(...fake.handlers())
  const stream = new DurableStream({ url, contentType })
  const producer = new IdempotentProducer(stream, "writer", {
    lingerMs: 0,
    ...options,
    retry: { ...FAST_RETRY, ...options.retry },
  })
  return { fake, producer, url }
}

/** Parsed JSON bodies of the recorded requests. */
export function jsonBodies(fake: FakeProducerServer): unknown[][] {
  return fake.requests.map((r) => (r.text === "" ? [] : (JSON.parse(r.text) as unknown[])))
}
