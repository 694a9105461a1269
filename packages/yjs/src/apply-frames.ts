import { DurableStreamError } from "@durable-client/state"
import { applyUpdate, transact, type Doc } from "yjs"
import { FrameError, type FrameDecoder } from "./update-frames"

/**
 * Decodes the frames in `data` and applies the updates to `doc` with
 * `origin` as transaction origin. A bad frame or an update Yjs cannot apply
 * is PARSE_ERROR at `where`.
 */
export function applyFrames(
  doc: Doc,
  decoder: FrameDecoder,
  data: Uint8Array,
  origin: unknown,
  where: { url: string; offset: string }
): void {
  try {
    const updates = decoder.push(data)
    if (updates.length > 0) {
      // One transaction: observers run once per chunk, not once per update.
      transact(
        doc,
        () => {
          for (const update of updates) applyUpdate(doc, update, origin)
        },
        origin
      )
    }
  } catch (error) {
    const what = error instanceof FrameError ? error.message : `an update Yjs could not apply (${String(error)})`
    throw new DurableStreamError("PARSE_ERROR", `Stream ${where.url} after offset ${where.offset}: ${what}`, {
      url: where.url,
      operation: "read",
      offset: where.offset,
      cause: error,
    })
  }
}
