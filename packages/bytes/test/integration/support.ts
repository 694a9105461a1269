import { expectErrorCode } from "@durable-client/testing/vitest"
import { expect } from "vitest"
import {
  type DurableStreamError,
  type DurableStreamErrorCode,
  type FetchLike,
} from "../../src/index"

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}

export function concat(parts: ReadonlyArray<Uint8Array | string>): Uint8Array {
  const arrays = parts.map((part) => (typeof part === "string" ? utf8(part) : part))
  const out = new Uint8Array(arrays.reduce((sum, part) => sum + part.length, 0))
  let position = 0
  for (const part of arrays) {
    out.set(part, position)
    position += part.length
  }
  return out
}

/** Every byte value 0..255 once, in order. */
export function allByteValues(): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, index) => index)
}

/**
 * Compares byte arrays and, on failure, reports the first differing index
 * instead of dumping two large arrays side by side.
 */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array, label = "bytes"): void {
  const limit = Math.min(actual.length, expected.length)
  let firstDifference = -1
  for (let index = 0; index < limit; index++) {
    if (actual[index] !== expected[index]) {
      firstDifference = index
      break
    }
  }
  if (firstDifference === -1 && actual.length !== expected.length) firstDifference = limit
  expect(
    firstDifference === -1
      ? "identical"
      : `${label}: first difference at byte ${firstDifference} (lengths ${actual.length} vs ${expected.length})`
  ).toBe("identical")
}

/** Awaits a rejection and checks it is a DurableStreamError with `code`. */
export function expectStreamError(promise: Promise<unknown>, code: DurableStreamErrorCode): Promise<DurableStreamError> {
  return expectErrorCode<DurableStreamError>(promise, code)
}

export { waitFor } from "@durable-client/testing/vitest"

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** One request as the client's fetch saw it: the response status, or "error" when fetch rejected. */
export interface Attempt {
  method: string
  url: string
  outcome: number | "error"
}

/**
 * A fetch that records every attempt, so fault tests can prove the fault
 * actually hit a request and the client really retried, rather than the
 * fault silently missing and the read succeeding on the first try.
 */
export function recordingFetch(): { fetch: FetchLike; attempts: Attempt[] } {
  const attempts: Attempt[] = []
  const fetch: FetchLike = async (input, init) => {
    const method = init.method ?? "GET"
    try {
      const response = await globalThis.fetch(input, init)
      attempts.push({ method, url: input, outcome: response.status })
      return response
    } catch (error) {
      attempts.push({ method, url: input, outcome: "error" })
      throw error
    }
  }
  return { fetch, attempts }
}

/**
 * Small deterministic PRNG (xorshift32) so a failing randomized run can be
 * replayed from the seed printed in its failure message.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state / 0x1_0000_0000
  }
}
