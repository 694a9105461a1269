// Two documents on one stream, edited concurrently at random: whatever the
// interleaving of edits and deliveries, both end with identical content.
import { useReferenceServer } from "@durable-client/testing/vitest"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { encodeStateAsUpdate, encodeStateVector } from "yjs"
import { DurableStream } from "../../src/index"
import { openProvider, settle, useProvidersDestroyedAfterEach } from "../support/providers"

type Edit =
  | { kind: "insert"; doc: 0 | 1; at: number; text: string }
  | { kind: "delete"; doc: 0 | 1; at: number; length: number }
  | { kind: "set"; doc: 0 | 1; key: string; value: number }
  | { kind: "yield" } // lets requests and deliveries run between edits

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("insert" as const), doc: fc.constantFrom(0 as const, 1 as const), at: fc.nat(), text: fc.string({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant("delete" as const), doc: fc.constantFrom(0 as const, 1 as const), at: fc.nat(), length: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant("set" as const), doc: fc.constantFrom(0 as const, 1 as const), key: fc.constantFrom("a", "b", "c"), value: fc.integer() }),
  fc.record({ kind: fc.constant("yield" as const) })
)

describe("concurrent edits", () => {
  const server = useReferenceServer()
  useProvidersDestroyedAfterEach()

  it("two documents converge under any interleaving of random concurrent edits", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 40 }), fc.boolean(), async (edits, sse) => {
        const url = server.streamUrl()
        const live = sse ? "sse" : "long-poll"
        const providers = [openProvider(url, { live, lingerMs: 0 }), openProvider(url, { live, lingerMs: 0 })]
        try {
          await Promise.all(providers.map((provider) => provider.waitForSynced()))
          for (const step of edits) {
            if (step.kind === "yield") {
              await new Promise((resolve) => setImmediate(resolve))
              continue
            }
            const doc = providers[step.doc]!.doc
            const text = doc.getText("text")
            if (step.kind === "insert") text.insert(step.at % (text.length + 1), step.text)
            else if (step.kind === "delete" && text.length > 0) {
              const at = step.at % text.length
              text.delete(at, Math.min(step.length, text.length - at))
            } else if (step.kind === "set") doc.getMap("map").set(step.key, step.value)
          }
          await settle(providers)
          const [a, b] = providers.map((provider) => provider.doc)
          expect(b!.getText("text").toString()).toBe(a!.getText("text").toString())
          expect(b!.getMap("map").toJSON()).toEqual(a!.getMap("map").toJSON())
          expect(encodeStateVector(b!)).toEqual(encodeStateVector(a!))
          // Nothing was echoed back into a loop: each provider sent only its own edits.
          expect(providers.every((provider) => provider.pendingUpdates === 0)).toBe(true)
        } finally {
          await Promise.all(providers.map((provider) => provider.destroy()))
        }
      }),
      { numRuns: 25 }
    )
  })

  it("never sends a remote update back: one local edit is one frame on the stream, however many readers", async () => {
    const url = server.streamUrl()
    const writer = openProvider(url)
    const readers = [openProvider(url), openProvider(url), openProvider(url)]
    await Promise.all([writer, ...readers].map((provider) => provider.waitForSynced()))
    writer.doc.getText("text").insert(0, "once")
    await settle([writer, ...readers])
    for (const reader of readers) expect(reader.doc.getText("text").toString()).toBe("once")
    const bytes = await new DurableStream({ url }).read().bytes()
    // One frame: a one-byte length, then the update exactly as Yjs encoded it.
    const update = encodeStateAsUpdate(writer.doc)
    expect(bytes.length).toBe(1 + update.length)
  })
})
