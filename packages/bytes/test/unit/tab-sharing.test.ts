// tabSharing()'s fallback election (BroadcastChannel heartbeats, no Web
// Locks), with three sessions in one Node process standing in for three tabs:
// Node's BroadcastChannel delivers between instances of one thread. The Web
// Locks path is proven in Chromium (test/browser/tab-sharing.test.ts).
import { Server, type IncomingMessage, type ServerResponse } from "node:http"
import { startReferenceServer, type ReferenceServer } from "@durable-client/testing"
import { waitFor } from "@durable-client/testing/vitest"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { DurableStream, type ReadSession } from "../../src/index"
import { tabSharing } from "../../src/tab-sharing"

interface LiveRequest {
  tab: string
  closed: boolean
}

/** Live GETs the server gets, per tab, and whether each has ended (server side). */
function watchLiveRequests(reference: ReferenceServer): LiveRequest[] {
  const http: unknown = Reflect.get(reference.server, "server")
  if (!(http instanceof Server)) throw new Error("cannot watch the reference server's requests: its http.Server moved")
  const log: LiveRequest[] = []
  http.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://server")
    if (req.method !== "GET" || !url.searchParams.has("live")) return
    const entry: LiveRequest = { tab: url.searchParams.get("tab") ?? "", closed: false }
    log.push(entry)
    res.on("close", () => (entry.closed = true))
  })
  return log
}

const openTabs = (log: readonly LiveRequest[]): string[] => log.filter((entry) => !entry.closed).map((entry) => entry.tab)
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, index) => from + index)

const until = (check: () => boolean, what: string): Promise<void> => waitFor(check, what, 5_000)

/**
 * Resolves once `count` leader heartbeats went over the tabs' channel: that
 * many election rounds have passed, each a chance for a follower to claim.
 */
function heartbeats(url: string, count: number): Promise<void> {
  const channel = new BroadcastChannel(`unit-test:${new DurableStream({ url }).url}`)
  let heard = 0
  return new Promise<void>((resolve) => {
    channel.onmessage = (event: MessageEvent<{ kind?: string }>) => {
      if (event.data?.kind !== "heartbeat" || ++heard < count) return
      channel.close()
      resolve()
    }
  })
}

interface Tab {
  name: string
  session: ReadSession
  received: number[]
  finished: Promise<void>
}

function openTab(url: string, name: string, heartbeatMs: number): Tab {
  const stream = new DurableStream({ url, contentType: "application/json", params: { tab: name } })
  const session = stream.read({
    live: "sse",
    shareAcrossTabs: tabSharing({ locks: undefined, heartbeatMs, namespace: "unit-test" }),
  })
  const received: number[] = []
  const decoder = new TextDecoder()
  const finished = (async () => {
    for await (const chunk of session) {
      const text = decoder.decode(chunk.data).trim()
      if (text !== "") received.push(...(JSON.parse(text) as number[]))
    }
  })()
  return { name, session, received, finished }
}

describe("tabSharing heartbeat fallback (no Web Locks)", () => {
  let reference: ReferenceServer
  let liveRequests: LiveRequest[]

  beforeAll(async () => {
    reference = await startReferenceServer({ longPollTimeoutMs: 500 })
    liveRequests = watchLiveRequests(reference)
  })
  afterAll(() => reference.stop())

  it("settles on one live connection, delivers exactly once, and hands over when the leader leaves", async () => {
    const heartbeatMs = 50
    const url = reference.streamUrl()
    const writer = await DurableStream.create({ url, contentType: "application/json" })
    await writer.append("[1,2,3]")
    const tabs = ["a", "b", "c"].map((name) => openTab(url, name, heartbeatMs))

    // All three claim at the first beat (none heard anyone); ids break the tie.
    await until(() => openTabs(liveRequests).length === 1, "one live connection")
    await heartbeats(url, 4)
    expect(openTabs(liveRequests)).toHaveLength(1)
    const leaderName = openTabs(liveRequests)[0]!

    // Settled: while messages flow, never more than one live connection.
    let most = 0
    for (let n = 4; n <= 40; n++) {
      await writer.append(`[${n}]`)
      most = Math.max(most, openTabs(liveRequests).length)
      await until(() => tabs.every((tab) => tab.received.at(-1) === n), `every tab to get message ${n}`)
    }
    expect(most).toBe(1)
    expect(openTabs(liveRequests)).toEqual([leaderName])

    // A stalled main thread (here: all tabs at once) is not a silent leader:
    // no follower may claim just because its own timer ran late.
    const seen = liveRequests.length
    const stallUntil = Date.now() + heartbeatMs * 6
    while (Date.now() < stallUntil) {
      // busy: no timers, no channel messages
    }
    await heartbeats(url, 4)
    expect(liveRequests.length).toBe(seen)
    expect(openTabs(liveRequests)).toEqual([leaderName])

    // The leader stops reading mid-stream: it resigns and another tab takes over.
    const leader = tabs.find((tab) => tab.name === leaderName)!
    const rest = tabs.filter((tab) => tab !== leader)
    const appending = (async () => {
      for (let n = 41; n <= 80; n++) {
        await writer.append(`[${n}]`)
        await until(() => rest.every((tab) => tab.received.at(-1) === n), `the other tabs to get message ${n}`)
      }
    })()
    await leader.session.cancel()
    await leader.finished
    await appending
    await until(() => openTabs(liveRequests).length === 1 && openTabs(liveRequests)[0] !== leaderName, "a new leader")
    await heartbeats(url, 4)
    expect(openTabs(liveRequests)).toHaveLength(1)
    expect(openTabs(liveRequests)[0]).not.toBe(leaderName)

    await writer.close()
    await Promise.all(rest.map((tab) => tab.finished))
    for (const tab of rest) expect(tab.received, `tab ${tab.name}`).toEqual(range(1, 80))
    // The leader got a gapless prefix before it stopped.
    expect(leader.received).toEqual(range(1, leader.received.length))
    expect(leader.received.length).toBeGreaterThanOrEqual(40)
    // Everything ended with the stream: no live connection, timer or channel left behind.
    await until(() => openTabs(liveRequests).length === 0, "all live connections to end")
  })
})
