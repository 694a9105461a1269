/** How a request's `handle` consumes the response body. */
export interface ResponseReader {
  /** Drops the body, freeing the connection. */
  discard(): void
}

/**
 * Every operation but a read (a read session reads its own bodies, see
 * read-machine.ts) wants nothing from a successful response's body.
 */
export function responseReader(response: Response): ResponseReader {
  return { discard: () => discardBody(response) }
}

/**
 * Cancelling the body frees the connection. Not awaited: a body that was
 * cloned (fetch wrappers, mocks) only settles the cancel once every clone is
 * read or cancelled, which would hang the operation.
 */
export function discardBody(response: Response): void {
  if (response.body) void response.body.cancel().catch(() => undefined)
}
