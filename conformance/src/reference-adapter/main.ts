/**
 * Cross-check adapter on the upstream TypeScript client, npm
 * @durable-streams/client (pinned in package.json), written to the public
 * client-conformance protocol. Running the same cases against a second,
 * independent client tells bugs in the cases from bugs in our SDK. It is a
 * thin translation like ours: whatever that client cannot do is reported as
 * an error, not worked around.
 */
import { createRequire } from "node:module"
import { serveLines } from "../adapter-kit/serve-lines.ts"
import type { Command, CommandType, Features, Result } from "../protocol.ts"
import { benchmark } from "./benchmark.ts"
import { errorResult, failure } from "./errors.ts"
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

async function handle(cmd: Command): Promise<Result> {
  state.recorder.begin()
  switch (cmd.type) {
    case "init":
      state.reset(cmd.serverUrl)
      producers.clear()
      return { type: "init", success: true, clientName: "@durable-streams/client", clientVersion, features: FEATURES }
    case "create":
      return create(state, cmd)
    case "connect":
      return connect(state, cmd)
    case "append":
      return append(state, cmd)
    case "close":
      return close(state, cmd)
    case "read":
      return read(state, cmd)
    case "head":
      return head(state, cmd)
    case "delete":
      return remove(state, cmd)
    case "idempotent-append":
      return producers.append(cmd)
    case "idempotent-append-batch":
      return producers.appendBatch(cmd)
    case "idempotent-close":
      return producers.close(cmd)
    case "idempotent-detach":
      return producers.detach(cmd)
    case "set-dynamic-header":
      return state.setDynamicHeader(cmd.name, cmd.valueType, cmd.initialValue)
        ? { type: cmd.type, success: true }
        : failure(cmd.type, "NOT_SUPPORTED", `unknown value type ${cmd.valueType}`)
    case "set-dynamic-param":
      return state.dynamic.setParam(cmd.name, cmd.valueType)
        ? { type: cmd.type, success: true }
        : failure(cmd.type, "NOT_SUPPORTED", `unknown value type ${cmd.valueType}`)
    case "clear-dynamic":
      state.dynamic.clear()
      return { type: cmd.type, success: true }
    case "validate":
      return validate(cmd, state.serverUrl)
    case "benchmark":
      return benchmark(state, cmd)
    case "shutdown":
      return { type: "shutdown", success: true }
    default:
      return failure((cmd as { type: CommandType }).type, "NOT_SUPPORTED", `unknown command ${JSON.stringify((cmd as { type?: unknown }).type)}`)
  }
}

void serveLines("reference-client adapter", handle, errorResult)
