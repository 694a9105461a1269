/**
 * Header names as the test gave them. HTTP libraries (ours included) lower-case
 * header names on the way out, but the public runner looks `headersSent` up by
 * the exact name a case used (`X-Request-Id`), so results spell every name
 * the way it was first given: in a command's `headers`, in
 * `set-dynamic-header`, or by the protocol (`Content-Type`, `Stream-Seq`).
 * Names nobody gave are written in the usual Capitalised-Dash form.
 */
const PROTOCOL_NAMES = [
  "Content-Type",
  "Stream-Seq",
  "Stream-Closed",
  "Stream-TTL",
  "Stream-Expires-At",
  "Producer-Id",
  "Producer-Epoch",
  "Producer-Seq",
  "If-None-Match",
  "Accept",
  "Authorization",
]

export class HeaderNames {
  private readonly given = new Map<string, string>()

  constructor() {
    for (const name of PROTOCOL_NAMES) this.given.set(name.toLowerCase(), name)
  }

  /** Remembers the spelling of names a test used. */
  remember(names: Iterable<string>): void {
    for (const name of names) this.given.set(name.toLowerCase(), name)
  }

  spell(name: string): string {
    return this.given.get(name.toLowerCase()) ?? name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase())
  }
}
