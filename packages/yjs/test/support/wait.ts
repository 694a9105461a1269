import { encodeStateVector, type Doc } from "yjs"
import { expect } from "vitest"

/**
 * Resolves when `condition()` holds, checking it now and after each event
 * `subscribe` reports; fails after `timeoutMs` (a safety net, never a wait).
 */
export function until(
  subscribe: (check: () => void) => () => void,
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000
): Promise<void> {
  return new Promise((resolve, reject) => {
    let unsubscribe = (): void => undefined
    const timer = setTimeout(() => {
      unsubscribe()
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
    }, timeoutMs)
    const check = (): void => {
      if (!condition()) return
      clearTimeout(timer)
      unsubscribe()
      resolve()
    }
    unsubscribe = subscribe(check)
    check()
  })
}

/** Every doc has seen every update of every other (equal state vectors). */
export async function waitForConvergence(docs: Doc[], timeoutMs = 15_000): Promise<void> {
  const vector = (doc: Doc): string => encodeStateVector(doc).join(",")
  await until(
    (check) => {
      for (const doc of docs) doc.on("update", check)
      return () => docs.forEach((doc) => doc.off("update", check))
    },
    () => docs.every((doc) => vector(doc) === vector(docs[0]!)),
    "the documents to converge",
    timeoutMs
  )
  const texts = docs.map((doc) => doc.getText("text").toString())
  for (const text of texts) expect(text).toBe(texts[0])
}

/** Offsets sort lexicographically (protocol rule): `a` is at or after `b`. */
export function atOrAfter(a: string, b: string | undefined): boolean {
  return b === undefined || a === b || (a !== "-1" && a > b)
}
