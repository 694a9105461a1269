/**
 * Cross-check adapter on the upstream TypeScript client, npm
 * @durable-streams/client (pinned in package.json), written to the public
 * client-conformance protocol. Running the same cases against a second,
 * independent client tells bugs in the cases from bugs in our SDK. It is a
 * thin translation like ours: whatever that client cannot do is reported as
 * an error, not worked around.
 */
import { createRequire } from "node:module"
import { dispatcher } from "../adapter-kit/dispatch.ts"
import { serveLines } from "../adapter-kit/serve-lines.ts"
import type { Features } from "../protocol.ts"
import { benchmark } from "./benchmark.ts"
import { errorResult } from "./errors.ts"
import { ReferenceProducers } from "./producers.ts"
import { read } from "./read.ts"
import { ReferenceState } from "./state.ts"
import { append, close, connect, create, head, remove } from "./streams.ts"
import { validate } from "./validate.ts"

// What this client really offers. It has no separate retry-options object
// to validate and no per-batch item limit.
const FEATURES: Features = {
  batching: true,
  sse: true,
  longPoll: true,
  auto: true,
  streaming: true,
  dynamicHeaders: true,
  retryOptions: false,
  batchItems: false,
  strictZeroValidation: true,
}

const clientVersion = (
  createRequire(import.meta.url)("@durable-streams/client/package.json") as { version: string }
).version

const state = new ReferenceState()
const producers = new ReferenceProducers(state)

const handle = dispatcher({
  clientName: "@durable-streams/client",
  clientVersion,
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
    validate: (cmd) => validate(cmd, state.serverUrl),
    benchmark: (cmd) => benchmark(state, cmd),
  },
})

void serveLines("reference-client adapter", handle, errorResult)
