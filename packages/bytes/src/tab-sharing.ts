import type { LiveSharing, SharedReadContext, StreamChunk } from "./read-session"

/**
 * One live connection per stream for all tabs of an origin.
 *
 * Tabs reading the same stream URL elect a leader (Web Locks; a
 * BroadcastChannel heartbeat election where Web Locks are missing). The
 * leader holds the only live connection and relays every chunk, with the
 * offsets it spans, over a BroadcastChannel. A follower catches up on its
 * own with plain (cacheable) catch-up reads, then takes relayed chunks that
 * start exactly at its offset, skips ones it already has, and fills any gap
 * with another catch-up read. When the leader's tab goes away its lock is
 * released, the next tab takes over from its OWN offset, and nothing is
 * lost or repeated. Relies on offsets of one stream sorting
 * lexicographically, which the protocol allows clients to assume.
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

interface RelayMessage {
  kind: "chunk"
  /** Offset the chunk starts at: a follower at exactly this offset can take it. */
  from: string
  chunk: StreamChunk
}

interface ElectionMessage {
  kind: "heartbeat" | "resign"
  id: string
}

type Message = RelayMessage | ElectionMessage

export function tabSharing(options: TabSharingOptions = {}): LiveSharing {
  return {
    run: (context) => runShared(context, options),
  }
}

async function* runShared(context: SharedReadContext, options: TabSharingOptions): AsyncGenerator<StreamChunk> {
  const name = `${options.namespace ?? "durable-client"}:${context.url}`
  const Channel = options.BroadcastChannel ?? globalThis.BroadcastChannel
  if (typeof Channel !== "function") {
    // No way to talk to other tabs (old runtime): read on our own.
    yield* context.read(context.offset, context.live)
    return
  }
  const channel = new Channel(name)
  const inbox: RelayMessage[] = []
  let wake: (() => void) | undefined
  const election = elect(name, channel, options, context.signal, () => wake?.())
  channel.onmessage = (event: MessageEvent<Message>) => {
    const message = event.data
    if (message?.kind === "chunk") {
      inbox.push(message)
      wake?.()
    } else if (message) {
      election.heard(message)
    }
  }
  let offset = context.offset
  const onAbort = (): void => wake?.()
  context.signal.addEventListener("abort", onAbort)
  try {
    for (;;) {
      // Follower: catch up alone (plain GETs, no live connection), then live off relays.
      if (!election.isLeader()) {
        for await (const chunk of context.read(offset, false)) {
          offset = chunk.offset
          yield chunk
          if (chunk.closed) return
        }
      }
      while (!election.isLeader()) {
        const message = inbox.shift()
        if (message === undefined) {
          await new Promise<void>((resolve) => (wake = resolve))
          wake = undefined
          if (context.signal.aborted) return
          continue
        }
        const { from, chunk } = message
        if (chunk.offset <= offset && !(chunk.closed && from === offset)) continue // already have it
        if (from !== offset) {
          // A gap (we joined late, or chunk boundaries differ): fill it ourselves.
          inbox.unshift(message)
          for await (const own of context.read(offset, false)) {
            offset = own.offset
            yield own
            if (own.closed) return
          }
          // Still behind the relay (the server has not shown us more yet): drop it.
          if (inbox[0] === message && message.from > offset) inbox.shift()
          continue
        }
        offset = chunk.offset
        yield chunk
        if (chunk.closed) return
      }
      // Leader now. First take what the old leader relayed before it let go
      // (it may have reached the end already: then no connection is needed).
      for (const { from, chunk } of inbox.splice(0)) {
        if (from !== offset) continue // old, or a gap our own live read covers
        offset = chunk.offset
        yield chunk
        if (chunk.closed) return
      }
      // The one live connection, relayed to every other tab.
      const chunks = context.read(offset, context.live)[Symbol.asyncIterator]()
      try {
        for (;;) {
          const next = await Promise.race([chunks.next(), election.demoted()])
          if (next === DEMOTED) break // another tab leads: back to following it
          if (next.done) return
          const chunk = next.value
          channel.postMessage({ kind: "chunk", from: offset, chunk } satisfies RelayMessage)
          offset = chunk.offset
          yield chunk
          if (chunk.closed) return
        }
      } finally {
        await chunks.return?.()
      }
    }
  } finally {
    context.signal.removeEventListener("abort", onAbort)
    election.stop()
    channel.close()
  }
}

const DEMOTED = Symbol("demoted")

interface Election {
  isLeader(): boolean
  /** Settles if this tab stops being the leader while still reading. */
  demoted(): Promise<typeof DEMOTED>
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
    const never = new Promise<typeof DEMOTED>(() => undefined)
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
  let onDemoted: ((value: typeof DEMOTED) => void) | undefined
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
        onDemoted?.(DEMOTED)
      }
    },
    stop: () => {
      stopped = true
      clearInterval(timer)
      if (leader) channel.postMessage({ kind: "resign", id } satisfies ElectionMessage)
    },
  }
}
