/**
 * Conformance adapter for @durable-client/json (and the byte layer it
 * re-exports). It translates protocol commands into SDK calls and SDK
 * outcomes into result lines, and holds no protocol logic of its own.
 */
import { createRequire } from "node:module"
import { serveLines } from "../adapter-kit/serve-lines.ts"
import type { Command, Features, Result } from "../protocol.ts"
import { benchmark } from "./benchmark.ts"
import { errorResult, failure } from "./errors.ts"
import { Producers } from "./producers.ts"
import { read } from "./read.ts"
import { AdapterState } from "./state.ts"
import { append, close, connect, create, head, remove } from "./streams.ts"
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
}

const sdkVersion = (
  createRequire(import.meta.url)("@durable-client/json/package.json") as { version: string }
).version

const state = new AdapterState()
const producers = new Producers(state)

async function handle(cmd: Command): Promise<Result> {
  state.recorder.begin()
  switch (cmd.type) {
    case "init":
      state.reset(cmd.serverUrl)
      producers.clear()
      return {
        type: "init",
        success: true,
        clientName: "@durable-client/json",
        clientVersion: sdkVersion,
        features: FEATURES,
      }
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
      return validate(cmd)
    case "benchmark":
      return benchmark(state, cmd)
    case "shutdown":
      return { type: "shutdown", success: true }
    default:
      return failure(
        (cmd as { type: Command["type"] }).type,
        "NOT_SUPPORTED",
        `unknown command ${JSON.stringify((cmd as { type?: unknown }).type)}`
      )
  }
}

void serveLines("durable-client adapter", handle, errorResult)
