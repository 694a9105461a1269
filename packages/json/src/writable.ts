// A WHATWG WritableStream over a producer: its own entry, so a page that does not pipe into a producer does not ship it.
export { producerWritable } from "./producer-writable"
export type { ProducerWritableOptions } from "./producer-writable"
