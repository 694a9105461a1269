/**
 * Small vitest helpers every package's tests use. Typed by the caller (the
 * testing package must not depend on the SDK: the SDK's tests depend on it).
 */
import type { SetupServer } from "msw/node"
import { setupServer } from "msw/node"
import { afterAll, afterEach, beforeAll, expect } from "vitest"
import { startReferenceServer, type ReferenceServer } from "./server"

export { watchFetch, type FetchWatch, type WatchedRequest } from "./fetch-watch"
export { countingFetch, raisedError, type CountingFetch } from "./bad-input"

/** Starts an msw server for the calling test file; an unhandled request fails the test. */
export function useMswServer(): SetupServer {
  const server = setupServer()
  beforeAll(() => server.listen({ onUnhandledRequest: "error" }))
  afterEach(() => server.resetHandlers())
  afterAll(() => server.close())
  return server
}

/** Awaits a rejection and checks its `code` (a DurableStreamError's, at every layer). */
export async function expectErrorCode<E extends { code: string; message: string }>(
  promise: Promise<unknown>,
  code: E["code"]
): Promise<E> {
  let caught: unknown
  try {
    await promise
  } catch (error) {
    caught = error
  }
  if (caught === undefined) expect.fail(`expected a ${code} error, but the operation succeeded`)
  if (typeof caught !== "object" || caught === null || !("code" in caught)) throw caught
  const error = caught as E
  expect(error.code, error.message).toBe(code)
  return error
}

/** Polls `condition` until it holds; fails loudly rather than hanging the suite. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) expect.fail(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/**
 * The real reference server for the calling test file: started before its
 * tests, stopped after them. Use the returned handle inside tests only.
 */
export function useReferenceServer(options?: Parameters<typeof startReferenceServer>[0]): ReferenceServer {
  let server: ReferenceServer | undefined
  beforeAll(async () => {
    server = await startReferenceServer(options)
  })
  afterAll(async () => {
    await server?.stop()
  })
  return new Proxy({} as ReferenceServer, {
    get(_target, property) {
      if (!server) throw new Error("the reference server is only available inside tests (after beforeAll)")
      const value = server[property as keyof ReferenceServer]
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(server) : value
    },
  })
}
