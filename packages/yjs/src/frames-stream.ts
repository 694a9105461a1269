import { DurableStreamError, isDurableStreamError, type DurableStream } from "@durable-client/state"
import { YJS_FRAMES_CONTENT_TYPE } from "./update-frames"

/**
 * Makes sure `stream` exists and holds Yjs frames; returns its tail offset.
 * With `create`, a PUT makes it (or finds an identical one); a 409 means it
 * exists with other settings (say another TTL), which is fine as long as the
 * content type is ours. Anything else is CONFLICT: those bytes are not ours.
 */
export async function openFramesStream(
  stream: DurableStream,
  options: { create: boolean; ttlSeconds?: number; signal: AbortSignal }
): Promise<string | undefined> {
  if (options.create) {
    try {
      const result = await stream.create({
        contentType: YJS_FRAMES_CONTENT_TYPE,
        ttlSeconds: options.ttlSeconds,
        signal: options.signal,
      })
      return result.offset
    } catch (error) {
      if (!isDurableStreamError(error) || error.code !== "CONFLICT") throw error
    }
  }
  const info = await stream.head({ signal: options.signal })
  const type = info.contentType?.split(";")[0]?.trim().toLowerCase()
  if (type !== YJS_FRAMES_CONTENT_TYPE) {
    throw new DurableStreamError(
      "CONFLICT",
      `Stream ${stream.url} holds ${info.contentType ?? "an unknown content type"}, not Yjs frames (${YJS_FRAMES_CONTENT_TYPE}): point the provider at a stream of its own`,
      { url: stream.url, operation: "head" }
    )
  }
  stream.contentType = info.contentType
  return info.offset
}
