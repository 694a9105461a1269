// Presence over the awareness stream: a peer shows up, and is dropped when it
// leaves (its goodbye) or goes silent (the timeout).
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { Awareness } from "y-protocols/awareness"
import { Doc } from "yjs"
import { DurableStream, type DurableYjsProvider } from "../../src/index"
import { createNetwork } from "../support/network"
import { openProvider, useProvidersDestroyedAfterEach } from "../support/providers"
import { until } from "../support/wait"

/** Resolves when `provider`'s awareness satisfies `condition` (checked on every change). */
function awarenessUntil(provider: DurableYjsProvider, condition: (states: Map<number, Record<string, unknown>>) => boolean, what: string): Promise<void> {
  const awareness = provider.awareness
  return until(
    (check) => {
      awareness.on("change", check)
      return () => awareness.off("change", check)
    },
    () => condition(awareness.getStates()),
    what
  )
}

describe("awareness", () => {
  const server = useReferenceServer()
  useProvidersDestroyedAfterEach()

  it("shows a peer's state, its changes, and drops it when it leaves", async () => {
    const url = server.streamUrl()
    const alice = openProvider(url, { awareness: { throttleMs: 20 } })
    alice.awareness.setLocalStateField("user", { name: "Alice" })
    await alice.waitForSynced()
    // Bob brings his own Awareness (the provider leaves it alive when destroyed).
    const bobDoc = new Doc()
    const bob = openProvider(url, { awareness: { throttleMs: 20, instance: new Awareness(bobDoc) } }, bobDoc)
    bob.awareness.setLocalStateField("user", { name: "Bob" })
    const bobId = bob.awareness.clientID

    await awarenessUntil(alice, (states) => (states.get(bobId)?.user as { name?: string })?.name === "Bob", "Alice to see Bob")
    // Bob joined after Alice: he learns about her because she answers his hello.
    await awarenessUntil(bob, (states) => (states.get(alice.awareness.clientID)?.user as { name?: string })?.name === "Alice", "Bob to see Alice")

    bob.awareness.setLocalStateField("cursor", { index: 3 })
    await awarenessUntil(alice, (states) => (states.get(bobId)?.cursor as { index?: number })?.index === 3, "Bob's cursor at Alice")

    const removed: number[] = []
    alice.awareness.on("change", ({ removed: gone }: { removed: number[] }) => removed.push(...gone))
    const bobAwareness = bob.awareness
    await bob.destroy()
    await awarenessUntil(alice, (states) => !states.has(bobId), "Alice to drop Bob after his goodbye")
    expect(removed).toEqual([bobId])
    // Destroyed, the provider removed Bob's own presence from his Awareness too.
    expect(bobAwareness.getLocalState()).toBeNull()
    bobAwareness.destroy()
  })

  it("drops a peer that goes silent after timeoutMs, and takes it back when it returns", async () => {
    const url = server.streamUrl()
    const net = createNetwork()
    const alice = openProvider(url, { awareness: { throttleMs: 10, timeoutMs: 1000 } })
    const carol = openProvider(url, { fetch: net.fetch, awareness: { throttleMs: 10, timeoutMs: 1000 } })
    carol.awareness.setLocalStateField("user", { name: "Carol" })
    const carolId = carol.awareness.clientID
    await awarenessUntil(alice, (states) => states.has(carolId), "Alice to see Carol")

    // Carol's network dies: no goodbye, just silence.
    const timedOut: unknown[] = []
    alice.awareness.on("change", ({ removed }: { removed: number[] }, origin: unknown) => {
      if (removed.includes(carolId)) timedOut.push(origin)
    })
    net.offline()
    await awarenessUntil(alice, (states) => !states.has(carolId), "Alice to time Carol out")
    expect(timedOut).toEqual(["timeout"])

    net.online()
    await awarenessUntil(alice, (states) => states.has(carolId), "Carol to be back")
  })

  it("throttles: a burst of cursor moves goes out as at most two appends, the last state winning", async () => {
    const url = server.streamUrl()
    const net = createNetwork()
    const alice = openProvider(url, { awareness: {} })
    const bob = openProvider(url, { fetch: net.fetch, awareness: { throttleMs: 200 } })
    const bobId = bob.awareness.clientID
    bob.awareness.setLocalStateField("cursor", { index: 0 })
    await awarenessUntil(alice, (states) => states.has(bobId), "Alice to see Bob")
    const posts = () => net.log.requests.filter((request) => request.startsWith(`POST ${url}.awareness`)).length
    const before = posts()
    for (let index = 1; index <= 50; index++) bob.awareness.setLocalStateField("cursor", { index })
    await awarenessUntil(alice, (states) => (states.get(bobId)?.cursor as { index?: number })?.index === 50, "Bob's last cursor at Alice")
    expect(posts() - before).toBeGreaterThanOrEqual(1)
    expect(posts() - before).toBeLessThanOrEqual(2)
  })

  it("keeps the awareness stream short-lived: created with the TTL asked for", async () => {
    const url = server.streamUrl()
    const provider = openProvider(url, { awareness: { ttlSeconds: 42 } })
    provider.awareness.setLocalStateField("user", { name: "Dan" })
    await provider.waitForSynced()
    const awarenessUrl = `${url}.awareness`
    const stream = new DurableStream({ url: awarenessUrl })
    // Created when the channel starts.
    await expect
      .poll(async () => (await stream.head().catch(() => undefined))?.ttlSeconds, { timeout: 5000 })
      .toBe(42)
  })
})
