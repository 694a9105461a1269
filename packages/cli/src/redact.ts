/**
 * What the CLI prints must never carry a credential: header values and
 * tokens (from flags or the environment), the password of a URL and the
 * values of its query parameters (signed URLs put tokens there).
 */

/** Shortest secret replaced; shorter values would blank out ordinary words. */
const MIN_SECRET_LENGTH = 4

export type Redactor = (text: string) => string

/**
 * Builds the one function every printed line goes through. Each secret is
 * replaced whole, and so is its last word ("Bearer abc123" → "abc123"), since
 * a server echoing a request may quote only the credential.
 */
export function createRedactor(secrets: Iterable<string>): Redactor {
  const words = new Set<string>()
  for (const secret of secrets) {
    for (const word of [secret, secret.trim().split(/\s+/).pop() ?? ""]) {
      if (word.length >= MIN_SECRET_LENGTH) words.add(word)
    }
  }
  // Longest first, so a secret containing another is replaced whole.
  const ordered = [...words].sort((a, b) => b.length - a.length)
  return (text) => {
    let out = maskUserInfo(text)
    for (const word of ordered) out = out.split(word).join("[redacted]")
    return out
  }
}

/** `https://user:pass@host/…` → `https://***@host/…`, anywhere in the text. */
export function maskUserInfo(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/?#@\s]*@/gi, "$1***@")
}

/** The secrets a URL carries: its username, password and query values. */
export function urlSecrets(url: string): string[] {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return []
  }
  const secrets = [parsed.username, parsed.password].map(decodeComponent)
  for (const value of parsed.searchParams.values()) secrets.push(value)
  // Also the raw (still percent-encoded) form, as it appears in the URL text.
  for (const pair of parsed.search.slice(1).split("&")) {
    const raw = pair.slice(pair.indexOf("=") + 1)
    if (pair.includes("=")) secrets.push(raw)
  }
  return secrets.filter((secret) => secret.length > 0)
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
