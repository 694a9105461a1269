/**
 * What may appear in an error message or a log line. Errors are read by
 * people and shipped to log services; credentials must never ride along.
 */

/** A URL fit for an error message: credentials in it are replaced, never printed. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, "$1***@")
}

/**
 * A server that echoes the request (auth headers included) into its error
 * page must not put a token into our error message. Each secret is removed
 * whole, and so is its last word ("Bearer abc" → "abc"), since an echo may
 * quote only the credential.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    const words = [secret, secret.trim().split(/\s+/).pop() ?? ""]
    for (const word of words) if (word.length >= 4) out = out.split(word).join("[redacted]")
  }
  return out
}

