/**
 * A random id for a message or a stream name: a UUID where the runtime has
 * `crypto.randomUUID` (browsers, workers, Node 19+, Deno, Bun), else 128
 * random bits from `crypto.getRandomValues`, else (React Native without a
 * polyfill) `Math.random`, which is unique enough for a name but not secret.
 */
export function createId(): string {
  const crypto = (globalThis as { crypto?: Crypto }).crypto
  if (typeof crypto?.randomUUID === "function") return crypto.randomUUID()
  const bytes = new Uint8Array(16)
  if (typeof crypto?.getRandomValues === "function") crypto.getRandomValues(bytes)
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256)
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")
}
