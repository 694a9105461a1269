// Offline edits: kept while the network is down, merged on reconnect; kept
// across a reopen too (the outbox in storage), and resent then.
import { useReferenceServer } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import { memoryStorage, type ProviderStatus } from "../../src/index"
import { createNetwork } from "../support/network"
import { openProvider, settle, useProvidersDestroyedAfterEach } from "../support/providers"
import { until } from "../support/wait"

describe("offline edits", () => {
  const server = useReferenceServer()
  useProvidersDestroyedAfterEach()

  for (const live of ["sse", "long-poll"] as const) {
    it(`edits on both sides while one is offline merge when it is back (${live})`, async () => {
      const url = server.streamUrl()
      const net = createNetwork()
      const a = openProvider(url, { fetch: net.fetch, live })
      const b = openProvider(url, { live })
      await Promise.all([a.waitForSynced(), b.waitForSynced()])
      a.doc.getText("text").insert(0, "shared ")
      await settle([a, b])

      const statuses: ProviderStatus[] = []
      a.on("status", ({ status }) => statuses.push(status))
      const lost = until((check) => (a.on("sync", check), () => a.off("sync", check)), () => !a.synced, "a to lose its sync")
      net.offline()
      await lost
      a.doc.getText("text").insert(a.doc.getText("text").length, "A-offline ")
      b.doc.getText("text").insert(0, "B-online ")
      await b.flush()
      expect(a.pendingUpdates).toBeGreaterThan(0)
      expect(a.doc.getText("text").toString()).not.toContain("B-online")

      net.online()
      await a.waitForSynced()
      await settle([a, b])
      const text = a.doc.getText("text").toString()
      expect(text).toBe(b.doc.getText("text").toString())
      expect(text).toContain("A-offline")
      expect(text).toContain("B-online")
      expect(statuses).toContain("disconnected")
      expect(statuses.at(-1)).toBe("connected")
    })
  }

  it("edits made offline survive a reopen (the outbox is stored) and are sent then", async () => {
    const url = server.streamUrl()
    const storage = memoryStorage()
    const net = createNetwork()
    const peer = openProvider(url)
    const first = openProvider(url, { fetch: net.fetch, storage })
    await Promise.all([first.waitForSynced(), peer.waitForSynced()])
    net.offline()
    first.doc.getText("text").insert(0, "typed on a plane")
    expect(first.pendingUpdates).toBe(1)
    // The app closes before the network comes back.
    await first.destroy()

    const reopened = openProvider(url, { storage })
    expect(reopened.pendingUpdates).toBe(0)
    await reopened.waitForSynced()
    await settle([reopened, peer])
    expect(peer.doc.getText("text").toString()).toBe("typed on a plane")
    expect(reopened.pendingUpdates).toBe(0)
  })

  it("disconnect() holds edits back and connect() sends them", async () => {
    const url = server.streamUrl()
    const a = openProvider(url)
    const b = openProvider(url)
    await Promise.all([a.waitForSynced(), b.waitForSynced()])
    a.disconnect()
    expect(a.status).toBe("disconnected")
    a.doc.getText("text").insert(0, "later")
    expect(a.pendingUpdates).toBe(1)
    a.connect()
    await settle([a, b])
    expect(b.doc.getText("text").toString()).toBe("later")
  })
})
