/**
 * Strict RFC 4648 base64 (standard alphabet, padded), for SSE data of binary
 * streams and for bytes kept in string stores (Yjs checkpoints). Written out
 * because `atob`/`btoa` are absent from some React Native runtimes and work
 * on binary strings rather than bytes. Decoding returns `undefined` for
 * invalid input so the caller can raise an error that names the stream.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
const LOOKUP = (() => {
  const table = new Int16Array(128).fill(-1)
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i
  return table
})()

export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = []
  let line = ""
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!
    const b = bytes[i + 1]
    const c = bytes[i + 2]
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0)
    line +=
      ALPHABET[n >> 18]! +
      ALPHABET[(n >> 12) & 63]! +
      (b === undefined ? "=" : ALPHABET[(n >> 6) & 63]!) +
      (c === undefined ? "=" : ALPHABET[n & 63]!)
    // Keep each string short: repeated += on one huge string is slow in some engines.
    if (line.length >= 8192) {
      parts.push(line)
      line = ""
    }
  }
  parts.push(line)
  return parts.join("")
}

export function decodeBase64(input: string): Uint8Array | undefined {
  // SSE may split a long payload over several data lines; line breaks are not data.
  const text = input.indexOf("\n") === -1 && input.indexOf("\r") === -1
    ? input
    : input.replace(/[\r\n]/g, "")
  if (text.length === 0) return new Uint8Array(0)
  if (text.length % 4 !== 0) return undefined
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0
  const out = new Uint8Array((text.length / 4) * 3 - padding)
  let o = 0
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length
    const a = sextet(text, i)
    const b = sextet(text, i + 1)
    const c = last && padding === 2 ? 0 : sextet(text, i + 2)
    const d = last && padding >= 1 ? 0 : sextet(text, i + 3)
    if ((a | b | c | d) < 0) return undefined
    const n = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = (n >> 16) & 0xff
    if (o < out.length) out[o++] = (n >> 8) & 0xff
    if (o < out.length) out[o++] = n & 0xff
  }
  return out
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index)
  return code < 128 ? LOOKUP[code]! : -1
}
