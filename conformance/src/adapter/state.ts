import {
  DurableStream,
  JsonStream,
  isJsonContentType,
  type HeadersRecord,
  type ParamsRecord,
} from "@durable-client/json"
import type { StringMap } from "../protocol.ts"
import { Recorder } from "./recorder.ts"

type DynamicSpec =
  | { kind: "counter"; count: number }
  | { kind: "timestamp" }
  | { kind: "token"; value: string }

/**
 * What the adapter remembers between commands: the server, each stream's
 * content type (as an application would keep its handles), and the dynamic
 * header and parameter definitions.
 */
export class AdapterState {
  serverUrl = ""
  readonly recorder = new Recorder()
  private readonly contentTypes = new Map<string, string>()
  private readonly dynamicHeaders = new Map<string, DynamicSpec>()
  private readonly dynamicParams = new Map<string, DynamicSpec>()

  reset(serverUrl: string): void {
    this.serverUrl = serverUrl.replace(/\/+$/, "")
    this.contentTypes.clear()
    this.clearDynamic()
  }

  url(path: string): string {
    return `${this.serverUrl}${path}`
  }

  rememberContentType(path: string, contentType: string | undefined): void {
    if (contentType) this.contentTypes.set(path, contentType)
  }

  forget(path: string): void {
    this.contentTypes.delete(path)
  }

  /** A fresh byte handle for one command, with the dynamic values and the command's headers. */
  stream(path: string, headers?: StringMap): DurableStream {
    return new DurableStream({
      url: this.url(path),
      contentType: this.contentTypes.get(path),
      headers: { ...this.headerFunctions(), ...headers },
      params: this.paramFunctions(),
      fetch: this.recorder.fetch,
    })
  }

  /** The stream's content type; asks the server (HEAD) when no earlier command told us. */
  async contentTypeOf(stream: DurableStream, path: string): Promise<string | undefined> {
    if (stream.contentType === undefined) {
      const info = await stream.head()
      this.rememberContentType(path, info.contentType)
    }
    return stream.contentType
  }

  isJson(path: string): boolean {
    return isJsonContentType(this.contentTypes.get(path))
  }

  jsonStream(path: string, headers?: StringMap): JsonStream {
    return new JsonStream({
      url: this.url(path),
      contentType: this.contentTypes.get(path),
      headers: { ...this.headerFunctions(), ...headers },
      params: this.paramFunctions(),
      fetch: this.recorder.fetch,
    })
  }

  setDynamicHeader(name: string, valueType: string, initialValue: string | undefined): boolean {
    const spec = dynamicSpec(valueType, initialValue)
    if (!spec) return false
    this.dynamicHeaders.set(name, spec)
    return true
  }

  setDynamicParam(name: string, valueType: string): boolean {
    const spec = dynamicSpec(valueType, undefined)
    if (!spec || spec.kind === "token") return false
    this.dynamicParams.set(name, spec)
    return true
  }

  clearDynamic(): void {
    this.dynamicHeaders.clear()
    this.dynamicParams.clear()
  }

  // The SDK calls these functions on every request (each retry, each
  // long-poll, each SSE reconnect), which is what makes them dynamic.
  private headerFunctions(): HeadersRecord {
    return functionsFor(this.dynamicHeaders)
  }

  private paramFunctions(): ParamsRecord {
    return functionsFor(this.dynamicParams)
  }
}

function dynamicSpec(valueType: string, initialValue: string | undefined): DynamicSpec | undefined {
  switch (valueType) {
    case "counter":
      return { kind: "counter", count: 0 }
    case "timestamp":
      return { kind: "timestamp" }
    case "token":
      return { kind: "token", value: initialValue ?? "" }
    default:
      return undefined
  }
}

function functionsFor(specs: Map<string, DynamicSpec>): Record<string, () => string> {
  const out: Record<string, () => string> = {}
  for (const [name, spec] of specs) {
    out[name] = () => {
      switch (spec.kind) {
        case "counter":
          spec.count++
          return String(spec.count)
        case "timestamp":
          return String(Date.now())
        case "token":
          return spec.value
      }
    }
  }
  return out
}
