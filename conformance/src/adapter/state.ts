import { DurableStream, JsonStream } from "@durable-client/json"
import { isJsonContentType } from "@durable-client/json/internal"
import { DynamicValues } from "../adapter-kit/dynamic-values.ts"
import { HeaderNames } from "../adapter-kit/header-names.ts"
import { Recorder } from "../adapter-kit/recorder.ts"
import type { StringMap } from "../protocol.ts"

/**
 * What the adapter remembers between commands: the server, each stream's
 * content type (as an application keeps its handles), and the dynamic header
 * and parameter definitions.
 */
export class AdapterState {
  serverUrl = ""
  readonly names = new HeaderNames()
  readonly recorder = new Recorder(this.names)
  readonly dynamic = new DynamicValues()
  private readonly contentTypes = new Map<string, string>()

  reset(serverUrl: string): void {
    this.serverUrl = serverUrl.replace(/\/+$/, "")
    this.contentTypes.clear()
    this.dynamic.clear()
  }

  url(path: string): string {
    return `${this.serverUrl}${path}`
  }

  rememberContentType(path: string, contentType: string | undefined): void {
    if (contentType) this.contentTypes.set(path, contentType)
  }

  /** Keeps what a handle learned (its content type), so the next command needs no HEAD. */
  learn(path: string, stream: DurableStream): void {
    this.rememberContentType(path, stream.contentType)
  }

  forget(path: string): void {
    this.contentTypes.delete(path)
  }

  /**
   * A byte handle for one command, with the dynamic values and the command's
   * headers. `retryAppends` makes plain appends retry like every other
   * operation; the command layer turns it on where the protocol asks for it.
   */
  stream(path: string, headers?: StringMap, options: { retryAppends?: boolean; contentType?: string } = {}): DurableStream {
    this.names.remember(Object.keys(headers ?? {}))
    return new DurableStream({
      url: this.url(path),
      contentType: options.contentType ?? this.contentTypes.get(path),
      headers: { ...this.dynamic.headerFunctions(), ...headers },
      params: this.dynamic.paramFunctions(),
      fetch: this.recorder.fetch,
      retryAppends: options.retryAppends ?? false,
    })
  }

  jsonStream(path: string, headers?: StringMap): JsonStream {
    this.names.remember(Object.keys(headers ?? {}))
    return new JsonStream({
      url: this.url(path),
      contentType: this.contentTypes.get(path),
      headers: { ...this.dynamic.headerFunctions(), ...headers },
      params: this.dynamic.paramFunctions(),
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

  setDynamicHeader(name: string, valueType: string, initialValue: string | undefined): boolean {
    this.names.remember([name])
    return this.dynamic.setHeader(name, valueType, initialValue)
  }
}
