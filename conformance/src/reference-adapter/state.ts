import { DurableStream, type HeadersRecord, type ParamsRecord } from "@durable-streams/client"
import { DynamicValues } from "../adapter-kit/dynamic-values.ts"
import { HeaderNames } from "../adapter-kit/header-names.ts"
import { Recorder } from "../adapter-kit/recorder.ts"
import type { StringMap } from "../protocol.ts"

/**
 * What the adapter remembers between commands: the server, each stream's
 * content type (the client needs it for appends), the dynamic values, and a
 * recorder for what went over the wire.
 */
export class ReferenceState {
  serverUrl = ""
  readonly names = new HeaderNames()
  readonly recorder = new Recorder(this.names)
  readonly dynamic = new DynamicValues()
  private readonly contentTypes = new Map<string, string>()
  readonly fetch = this.recorder.fetch as typeof fetch

  reset(serverUrl: string): void {
    this.serverUrl = serverUrl.replace(/\/+$/, "")
    this.contentTypes.clear()
    this.dynamic.clear()
  }

  url(path: string): string {
    return `${this.serverUrl}${path}`
  }

  contentType(path: string): string | undefined {
    return this.contentTypes.get(path)
  }

  rememberContentType(path: string, contentType: string | undefined): void {
    if (contentType) this.contentTypes.set(path, contentType)
  }

  forget(path: string): void {
    this.contentTypes.delete(path)
  }

  /** This client's JSON mode is `application/json` (parameters aside). */
  isJson(path: string): boolean {
    return (this.contentTypes.get(path) ?? "").toLowerCase().split(";")[0]!.trim() === "application/json"
  }

  headers(extra?: StringMap): HeadersRecord {
    this.names.remember(Object.keys(extra ?? {}))
    return { ...this.dynamic.headerFunctions(), ...extra }
  }

  params(): ParamsRecord {
    return this.dynamic.paramFunctions()
  }

  /** A handle for one command, with the dynamic values and the command's headers. */
  handle(path: string, extra?: StringMap, contentType?: string): DurableStream {
    return new DurableStream({
      url: this.url(path),
      contentType: contentType ?? this.contentTypes.get(path),
      headers: this.headers(extra),
      params: this.params(),
      fetch: this.fetch,
      warnOnHttp: false,
    })
  }

  /** Learns the stream's content type with a HEAD when no earlier command told us. */
  async learnContentType(path: string): Promise<void> {
    if (this.contentTypes.has(path)) return
    const info = await DurableStream.head({ url: this.url(path), fetch: this.fetch, warnOnHttp: false })
    if (info.exists && info.contentType) this.contentTypes.set(path, info.contentType)
  }

  setDynamicHeader(name: string, valueType: string, initialValue: string | undefined): boolean {
    this.names.remember([name])
    return this.dynamic.setHeader(name, valueType, initialValue)
  }
}
