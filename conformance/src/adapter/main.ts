/**
 * Conformance adapter for @durable-client/json (and the byte layer it
 * re-exports). It translates protocol commands into SDK calls and SDK
 * outcomes into result lines, and holds no protocol logic of its own.
 */
import { createRequire } from "node:module"
import { dispatcher } from "../adapter-kit/dispatch.ts"
import { serveLines } from "../adapter-kit/serve-lines.ts"
import type { Features } from "../protocol.ts"
import { benchmark } from "./benchmark.ts"
import { errorResult } from "./errors.ts"
import { Producers } from "./producers.ts"
import { read } from "./read.ts"
import { AdapterState } from "./state.ts"
import { append, close, connect, create, fork, head, remove } from "./streams.ts"
import { validate } from "./validate.ts"

const FEATURES: Features = {
  batching: true,
  sse: true,
  longPoll: true,
  auto: true,
  streaming: true,
  dynamicHeaders: true,
  retryOptions: true,
  batchItems: true,
  strictZeroValidation: true,
  fork: true,
}

const sdkVersion = (
  createRequire(import.meta.url)("@durable-client/json/package.json") as { version: string }
).version

const state = new AdapterState()
const producers = new Producers(state)

const handle = dispatcher({
  clientName: "@durable-client/json",
  clientVersion: sdkVersion,
  features: FEATURES,
  state,
  producers,
  handlers: {
    create: (cmd) => create(state, cmd),
    connect: (cmd) => connect(state, cmd),
    append: (cmd) => append(state, cmd),
    close: (cmd) => close(state, cmd),
    read: (cmd) => read(state, cmd),
    head: (cmd) => head(state, cmd),
    delete: (cmd) => remove(state, cmd),
    validate: (cmd) => validate(cmd),
    benchmark: (cmd) => benchmark(state, cmd),
    fork: (cmd) => fork(state, cmd),
  },
})

void serveLines("durable-client adapter", handle, errorResult)
