import type { SharedReadContext } from "./live-sharing"
import type { LiveMode } from "./read-options"
import type { StreamChunk } from "./read-position"

/**
 * One live connection for many readers of a stream, wherever they are:
 * components of one page (page-sharing.ts) or tabs of one origin
 * (tab-sharing.ts). The readers elect a leader; only the leader holds a live
 * connection, and it relays every chunk with the offset it starts at. A
 * follower catches up on its own with plain (cacheable) catch-up reads,
 * then takes relayed chunks that start exactly at its offset, skips ones it
 * already has, and fills any gap with another catch-up read. When the
 * leader leaves, the next reader takes over from its OWN offset, so nothing
 * is lost or repeated, and every reader keeps its own checkpoint. Relies on
 * offsets of one stream sorting lexicographically, which the protocol
 * allows clients to assume.
 */

export interface RelayMessage {
  /** Offset the chunk starts at: a follower at exactly this offset can take it. */
  from: string
  chunk: StreamChunk
}

/** One reader's membership of a sharing scope. */
export interface RelayLink {
  isLeader(): boolean
  /** Settles if this reader stops leading while still reading (another took over). */
  demoted(): Promise<void>
  /** Sends to every other reader of the scope. */
  relay(message: RelayMessage): void
  /** Leaves the scope: gives up leadership (the next reader takes over) and stops receiving. */
  close(): void
}

export interface RelayHandlers {
  /** A chunk another reader relayed. */
  onRelay(message: RelayMessage): void
  /** This reader became the leader. */
  onLeader(): void
}

/** Joins a scope. Handlers may be called synchronously, from inside `join` too. */
export type JoinRelay = (handlers: RelayHandlers) => RelayLink

const DEMOTED = Symbol("demoted")

/**
 * Reads `context` as a member of the scope `join` enters. `leaderRead`
 * opens the leader's live connection (tabs pass one that keeps going while
 * the leader's own tab is hidden: other tabs may be looking).
 */
export async function* runRelay(
  context: SharedReadContext,
  join: JoinRelay,
  leaderRead: (offset: string, live: LiveMode) => AsyncIterable<StreamChunk> = context.read
): AsyncGenerator<StreamChunk> {
  const inbox: RelayMessage[] = []
  let wake: (() => void) | undefined
  const link = join({
    onRelay: (message) => {
      inbox.push(message)
      wake?.()
    },
    onLeader: () => wake?.(),
  })
  let offset = context.offset
  const onAbort = (): void => wake?.()
  context.signal.addEventListener("abort", onAbort)
  try {
    for (;;) {
      // Follower: catch up alone (plain GETs, no live connection), then live off relays.
      if (!link.isLeader()) {
        for await (const chunk of context.read(offset, false)) {
          offset = chunk.offset
          yield chunk
          if (chunk.closed) return
        }
      }
      while (!link.isLeader()) {
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
      // The one live connection, relayed to every other reader.
      const chunks = leaderRead(offset, context.live)[Symbol.asyncIterator]()
      try {
        const demoted = link.demoted().then((): typeof DEMOTED => DEMOTED)
        for (;;) {
          const next = await Promise.race([chunks.next(), demoted])
          if (next === DEMOTED) break // another reader leads: back to following it
          if (next.done) return
          const chunk = next.value
          link.relay({ from: offset, chunk })
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
    link.close()
  }
}
