// What the crash test's child process uses of the SDK, bundled from the sources for plain Node.
export { IdempotentProducer, JsonStream } from "../../src/index"
export { keyValueOutbox } from "../../src/outbox"
