import { runRelay, type JoinRelay, type RelayHandlers } from "./live-relay"
import type { LiveSharing } from "./live-sharing"

/** Options of `pageSharing`. */
export interface PageSharingOptions {
  /** Scope name prefix: readers share only with readers of the same namespace. Default "durable-client". */
  namespace?: string
}

interface Room {
  /** In joining order: the first one leads; when it leaves, the next takes over. */
  members: RelayHandlers[]
}

/** Readers of one page (or process), by scope name. Entries exist only while someone reads. */
const rooms = /* @__PURE__ */ new Map<string, Room>()

/**
 * One live connection per stream for every reader in this page (or
 * process): components that mount and unmount each read with their own
 * offset and see every chunk from where they joined, while only one of them
 * holds a live connection and hands its chunks to the others. Any runtime:
 * nothing but memory is shared. Relayed chunks are the same objects for
 * every reader: treat them as read-only.
 *
 * @example
 * const sharing = pageSharing()
 * // in each component:
 * for await (const chunk of stream.read({ live: "auto", offset: saved, shareAcrossTabs: sharing })) …
 */
export function pageSharing(options: PageSharingOptions = {}): LiveSharing {
  const namespace = options.namespace ?? "durable-client"
  return {
    run: (context) => runRelay(context, joinPage(`${namespace}:${context.url}`)),
  }
}

/** Joins the in-memory scope `name`. */
export function joinPage(name: string): JoinRelay {
  return (member) => {
    let room = rooms.get(name)
    if (room === undefined) rooms.set(name, (room = { members: [] }))
    const members = room.members
    members.push(member)
    let left = false
    return {
      isLeader: () => members[0] === member,
      // Leadership moves only when the leader leaves.
      demoted: () => new Promise<void>(() => undefined),
      relay: (message) => {
        for (const other of [...members]) if (other !== member) other.onRelay(message)
      },
      close: () => {
        if (left) return
        left = true
        const wasLeader = members[0] === member
        members.splice(members.indexOf(member), 1)
        if (members.length === 0) rooms.delete(name)
        else if (wasLeader) members[0]!.onLeader()
      },
    }
  }
}
