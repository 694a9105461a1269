import type { AttemptDeadline } from "./attempt-deadline"
import { concatBytes } from "./bytes-util"

/** How a request's `handle` consumes the response body, within the attempt's deadlines. */
export interface ResponseReader {
  /** The whole body. Each gap between chunks must stay under the body-idle deadline. */
  bytes(): Promise<Uint8Array>
  /** Drops the body, freeing the connection. */
  discard(): void
}

export function responseReader(
  response: Response,
  deadline: AttemptDeadline,
  bodyIdleMs: number
): ResponseReader {
  return {
    bytes: () => readWithIdleDeadline(response, deadline, bodyIdleMs),
    discard: () => discardBody(response),
  }
}

/**
 * Cancelling the body frees the connection. Not awaited: a body that was
 * cloned (fetch wrappers, mocks) only settles the cancel once every clone is
 * read or cancelled, which would hang the operation.
 */
export function discardBody(response: Response): void {
  if (response.body) void response.body.cancel().catch(() => undefined)
}

async function readWithIdleDeadline(
  response: Response,
  deadline: AttemptDeadline,
  idleMs: number
): Promise<Uint8Array> {
  deadline.arm(idleMs)
  const body = response.body
  // No streaming bodies (React Native): the whole body must come within one idle window.
  if (!body) return new Uint8Array(await response.arrayBuffer())
  const reader = body.getReader()
  // A fetch that does not tie its body to the signal (some polyfills, test
  // doubles) would leave a stalled read pending: cancelling ends it.
  const onAbort = (): void => void reader.cancel(deadline.signal.reason).catch(() => undefined)
  deadline.signal.addEventListener("abort", onAbort, { once: true })
  const parts: Uint8Array[] = []
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (deadline.signal.aborted) throw deadline.signal.reason
      if (done) break
      parts.push(value)
      deadline.arm(idleMs)
    }
  } finally {
    deadline.signal.removeEventListener("abort", onAbort)
    reader.releaseLock()
  }
  return parts.length === 1 ? parts[0]! : concatBytes(parts)
}
