import { DurableStream, JsonStream, type DurableStreamOptions } from "@durable-client/json"
import { describeValue, invalidArgument } from "@durable-client/json/internal"

/** The handle settings an entry point takes when it is given a `url` rather than a handle. */
export const HANDLE_OPTIONS = ["headers", "params", "fetch", "retry", "timeouts", "onError", "retryAppends"] as const

/** Where a materializer or a StreamDB reads and writes: a URL with handle settings, or a handle. */
export interface StreamSource extends Partial<Pick<DurableStreamOptions, (typeof HANDLE_OPTIONS)[number]>> {
  url?: string | URL
  /**
   * A handle you already have. It is used as it is, with every setting it
   * was made with (fetch, headers, params, retry, timeouts, onError): pass
   * those on the handle, not next to it.
   */
  stream?: JsonStream | DurableStream
}

/**
 * The JSON handle of a source, for every entry point of the layers above.
 * A given handle goes through `JsonStream.from`, so nothing of it is
 * dropped; a URL becomes a new handle with the settings passed beside it.
 * Settings next to a handle are refused rather than silently ignored.
 */
export function jsonStreamOf(source: StreamSource, entry: string): JsonStream {
  const { url, stream } = source
  if (stream !== undefined) {
    if (!(stream instanceof JsonStream) && !(stream instanceof DurableStream)) {
      throw invalidArgument(
        "(no url)",
        `${entry}: stream must be a JsonStream or DurableStream (got ${describeValue(stream)})`
      )
    }
    if (url !== undefined) throw invalidArgument(stream.url, `${entry}: pass url or stream, not both`)
    for (const name of HANDLE_OPTIONS) {
      if (source[name] !== undefined) {
        throw invalidArgument(
          stream.url,
          `${entry}: ${name} belongs on the handle passed as stream (it would be ignored here)`
        )
      }
    }
    return JsonStream.from(stream)
  }
  if (url === undefined) throw invalidArgument("(no url)", `${entry} needs a url or a stream`)
  const handle: Partial<DurableStreamOptions> = {}
  for (const name of HANDLE_OPTIONS) if (source[name] !== undefined) Object.assign(handle, { [name]: source[name] })
  // The bytes layer validates the url and every handle setting.
  return new JsonStream({ ...handle, url })
}
