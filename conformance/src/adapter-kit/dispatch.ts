/**
 * The command loop every adapter shares: which handler answers which
 * command, the `init` handshake, dynamic values and `shutdown`. An adapter
 * supplies only what differs between clients — the calls into its SDK —
 * so a new command is added in one place for every adapter.
 */
import type { Command, CommandType, ErrorResult, Features, Result } from "../protocol.ts"

type CommandOf<T extends CommandType> = Extract<Command, { type: T }>
type Handler<T extends CommandType> = (cmd: CommandOf<T>) => Result | Promise<Result>

/** What an adapter's per-run state offers the loop. */
export interface AdapterStateLike {
  recorder: { begin(): void }
  reset(serverUrl: string): void
  setDynamicHeader(name: string, valueType: string, initialValue: string | undefined): boolean
  dynamic: { setParam(name: string, valueType: string): boolean; clear(): void }
}

/** An adapter's idempotent producers. */
export interface AdapterProducers {
  clear(): void
  append: Handler<"idempotent-append">
  appendBatch: Handler<"idempotent-append-batch">
  close: Handler<"idempotent-close">
  detach: Handler<"idempotent-detach">
}

export interface AdapterDefinition {
  clientName: string
  clientVersion: string
  features: Features
  state: AdapterStateLike
  producers: AdapterProducers
  /** The SDK calls for the stream commands. */
  handlers: {
    create: Handler<"create">
    connect: Handler<"connect">
    append: Handler<"append">
    close: Handler<"close">
    read: Handler<"read">
    head: Handler<"head">
    delete: Handler<"delete">
    validate: Handler<"validate">
    benchmark: Handler<"benchmark">
    /** Forks made by the client; without it `fork` is NOT_SUPPORTED (and the `fork` feature should be off). */
    fork?: Handler<"fork">
  }
}

function notSupported(commandType: CommandType, message: string): ErrorResult {
  return { type: "error", success: false, commandType, errorCode: "NOT_SUPPORTED", message }
}

/** Answers one command with the adapter's handlers. */
export function dispatcher(adapter: AdapterDefinition): (cmd: Command) => Promise<Result> {
  const { state, producers, handlers } = adapter
  return async (cmd) => {
    state.recorder.begin()
    switch (cmd.type) {
      case "init":
        state.reset(cmd.serverUrl)
        producers.clear()
        return {
          type: "init",
          success: true,
          clientName: adapter.clientName,
          clientVersion: adapter.clientVersion,
          features: adapter.features,
        }
      case "create":
      case "connect":
      case "append":
      case "close":
      case "read":
      case "head":
      case "delete":
      case "validate":
      case "benchmark":
        return (handlers[cmd.type] as Handler<typeof cmd.type>)(cmd as never)
      case "fork":
        return handlers.fork ? handlers.fork(cmd) : notSupported(cmd.type, "this client cannot fork a stream")
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
          : notSupported(cmd.type, `unknown value type ${cmd.valueType}`)
      case "set-dynamic-param":
        return state.dynamic.setParam(cmd.name, cmd.valueType)
          ? { type: cmd.type, success: true }
          : notSupported(cmd.type, `unknown value type ${cmd.valueType}`)
      case "clear-dynamic":
        state.dynamic.clear()
        return { type: cmd.type, success: true }
      case "shutdown":
        return { type: "shutdown", success: true }
      default:
        return notSupported(
          (cmd as { type: CommandType }).type,
          `unknown command ${JSON.stringify((cmd as { type?: unknown }).type)}`
        )
    }
  }
}
