/**
 * A random transaction id. Uses crypto.randomUUID where it exists and falls
 * back to getRandomValues, then Math.random (React Native without a crypto
 * polyfill): uniqueness, not secrecy, is what matters for a txid.
 */
export function createTxid(): string {
  const cryptoApi = (globalThis as { crypto?: Crypto }).crypto
  if (typeof cryptoApi?.randomUUID === "function") return cryptoApi.randomUUID()
  const bytes = new Uint8Array(16)
  if (typeof cryptoApi?.getRandomValues === "function") cryptoApi.getRandomValues(bytes)
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256)
  let hex = ""
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0")
  return hex
}
