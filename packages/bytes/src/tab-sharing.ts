import { runRelay, type JoinRelay, type RelayMessage } from "./live-relay"
import { joinPage } from "./page-sharing"
import type { LiveSharing, SharedReadContext } from "./live-sharing"

export { pageSharing, type PageSharingOptions } from "./page-sharing"

/**
 * One live connection per stream for all tabs of an origin, and for every
 * reader within each tab.
 *
 * Readers of the same stream URL elect a leader (Web Locks; a
 * BroadcastChannel heartbeat election where Web Locks are missing). The
 * leader holds the only live connection and relays every chunk, with the
 * offset it starts at, over a BroadcastChannel; followers catch up alone
 * and live off the relays (live-relay.ts, the mechanism `pageSharing()`
 * uses within one page). The leader's connection does not pause while its
 * own tab is hidden: another tab may be looking. Where there is no
 * BroadcastChannel (React Native), readers share within the page.
 */
export interface TabSharingOptions {
  /** BroadcastChannel / lock name prefix. Default "durable-client". */
  namespace?: string
  /** For tests and unusual hosts; default the global ones. */
  locks?: Pick<LockManager, "request"> | undefined
  BroadcastChannel?: typeof BroadcastChannel
  /** Fallback election: leader heartbeat interval. Default 1000 ms. */
  heartbeatMs?: number
}

interface ChunkMessage extends RelayMessage {
  kind: "chunk"
}

interface ElectionMessage {
  kind: "heartbeat" | "resign"
  id: string
}

type Message = ChunkMessage | ElectionMessage

/** Shares one live connection per stream across the tabs of an origin (BroadcastChannel and Web Locks); pass it as a read's `shareAcrossTabs`. */
export function tabSharing(options: TabSharingOptions = {}): LiveSharing {
  return {
    run: (context) => {
      const name = `${options.namespace ?? "durable-client"}:${context.url}`
      const Channel = options.BroadcastChannel ?? globalThis.BroadcastChannel
      // No way to talk to other tabs (React Native, old runtimes): share within the page.
      if (typeof Channel !== "function") return runRelay(context, joinPage(name))
      return runRelay(context, joinTabs(name, Channel, options, context), (offset, live) =>
        context.read(offset, live, { pauseWhenHidden: false })
      )
    },
  }
}

function joinTabs(
  name: string,
  Channel: typeof BroadcastChannel,
  options: TabSharingOptions,
  context: SharedReadContext
): JoinRelay {
  return (handlers) => {
    const channel = new Channel(name)
    const election = elect(name, channel, options, context.signal, handlers.onLeader)
    channel.onmessage = (event: MessageEvent<Message>) => {
      const message = event.data
      if (message?.kind === "chunk") handlers.onRelay(message)
      else if (message) election.heard(message)
    }
    return {
      isLeader: () => election.isLeader(),
      demoted: () => election.demoted(),
      relay: (message) => channel.postMessage({ kind: "chunk", ...message } satisfies ChunkMessage),
      close: () => {
        election.stop()
        channel.close()
      },
    }
  }
}

interface Election {
  isLeader(): boolean
  /** Settles if this tab stops being the leader while still reading. */
  demoted(): Promise<void>
  heard(message: ElectionMessage): void
  stop(): void
}

/** Leadership by Web Lock where available, else by heartbeats over the channel. */
function elect(
  name: string,
  channel: BroadcastChannel,
  options: TabSharingOptions,
  signal: AbortSignal,
  onLeader: () => void
): Election {
  const locks = "locks" in options ? options.locks : (globalThis.navigator as Navigator | undefined)?.locks
  let leader = false
  if (locks) {
    let release: (() => void) | undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    // Queued until the current leader's tab closes or it stops reading.
    locks
      .request(name, { signal }, () => {
        leader = true
        onLeader()
        return held
      })
      .catch(() => undefined)
    // A held lock is never taken away: only stop() ends leadership.
    const never = new Promise<void>(() => undefined)
    return {
      isLeader: () => leader,
      demoted: () => never,
      heard: () => undefined,
      stop: () => release?.(),
    }
  }
  return heartbeatElection(channel, options.heartbeatMs ?? 1000, onLeader)
}

/**
 * Fallback election: the leader heartbeats; a tab that hears none for three
 * beats takes over. Two tabs claiming at once resolve by id: the lower id
 * keeps leading, the other steps back before it relays anything.
 */
function heartbeatElection(channel: BroadcastChannel, heartbeatMs: number, onLeader: () => void): Election {
  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  let leader = false
  // A lone tab should not wait three beats: one beat of silence at start is enough.
  let lastHeard = Date.now() - heartbeatMs * 2
  let stopped = false
  let onDemoted: (() => void) | undefined
  let lastTick = Date.now()
  let waitedOut = false
  const beat = (): void => channel.postMessage({ kind: "heartbeat", id } satisfies ElectionMessage)
  const timer = setInterval(() => {
    if (stopped) return
    const now = Date.now()
    // Ticking late means this tab itself was stalled (busy main thread, or all
    // of one process): the leader's beats may be queued behind this very
    // tick, so its silence is not news yet. Hear them first and decide on the
    // next tick, which may be late too (a throttled background tab): only one
    // tick is waited out.
    const late = now - lastTick > heartbeatMs * 2
    lastTick = now
    const waitOut = late && !waitedOut
    waitedOut = waitOut
    if (leader) beat()
    else if (!waitOut && now - lastHeard > heartbeatMs * 3) {
      leader = true
      beat()
      onLeader()
    }
  }, heartbeatMs)
  return {
    isLeader: () => leader,
    demoted: () => new Promise((resolve) => (onDemoted = resolve)),
    heard: (message) => {
      if (message.kind === "resign") {
        // The leader left on purpose: take over soon instead of waiting out the silence.
        lastHeard = Date.now() - heartbeatMs * 3
        return
      }
      lastHeard = Date.now()
      if (leader && message.id < id) {
        leader = false
        onDemoted?.()
      }
    },
    stop: () => {
      stopped = true
      clearInterval(timer)
      if (leader) channel.postMessage({ kind: "resign", id } satisfies ElectionMessage)
    },
  }
}
