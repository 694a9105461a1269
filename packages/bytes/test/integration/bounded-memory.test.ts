import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { DurableStream, type LiveMode } from "../../src/index"

const ref = useReferenceServer()

// A full collection on demand, without starting the test runner with --expose-gc.
setFlagsFromString("--expose-gc")
const collectGarbage = runInNewContext("gc") as () => void

/** Lets the current job end (a WeakRef keeps its target alive until then), then collects. */
async function collectNow(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
  collectGarbage()
}

/**
 * Structural proof that a reader does not accumulate the stream: every
 * chunk it hands out can be collected once the consumer has moved on, so
 * what a long read holds is what the consumer keeps, not what it read.
 * (Peak heap for a 200 MB catch-up is measured in `pnpm bench`.)
 */
describe("a reader holds no chunk it has handed out", () => {
  const modes: LiveMode[] = ["long-poll", "sse"]
  for (const live of modes) {
    it(`${live}: chunks two behind the consumer are collectable while the session reads on`, async () => {
      const stream = await DurableStream.create({ url: ref.streamUrl(), contentType: "application/octet-stream" })
      const session = stream.read({ offset: "-1", live })
      const handedOut: Array<WeakRef<Uint8Array>> = []
      const stillHeld: number[] = []
      try {
        await stream.append(new Uint8Array(64 * 1024).fill(1))
        for await (const chunk of session) {
          if (chunk.data.length === 0) continue
          handedOut.push(new WeakRef(chunk.data))
          const behind = handedOut.length - 3
          if (behind >= 0) {
            await collectNow()
            if (handedOut[behind]!.deref() !== undefined) stillHeld.push(behind)
          }
          if (handedOut.length === 6) break
          // One response (or SSE batch) per append: the next arrives while the reader waits at the tail.
          await stream.append(new Uint8Array(64 * 1024).fill(handedOut.length + 1))
        }
      } finally {
        await session.cancel()
      }
      expect(handedOut).toHaveLength(6)
      expect(stillHeld).toEqual([])
    })
  }
})
