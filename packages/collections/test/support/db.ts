import { afterEach } from "vitest"
import { createHook } from "node:async_hooks"
import { createStateSchema, JsonStream } from "../../src/index"
import { todoSchema, userSchema } from "./schemas"

export const schema = createStateSchema({
  todos: { type: "todo", primaryKey: "id", schema: todoSchema },
  users: { type: "user", primaryKey: "id", schema: userSchema },
})

/** Creates an empty JSON stream at `url` (StreamDB reads an existing stream; it never creates one). */
export async function createStream(url: string, messages?: readonly unknown[]): Promise<JsonStream> {
  return JsonStream.create({ url, messages })
}

export interface Deferred<T> {
  promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `check` passes (or fails after `timeoutMs`). */
export async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time")
    await delay(5)
  }
}

/** How many timers (setTimeout/setInterval) the process holds right now. */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length
}

/**
 * Records where each live timer was created, so a test can tell timers of the
 * client (created from this repo's packages) from those of the in-process
 * reference server, whose long-polls legitimately outlive a client's close().
 */
export function trackTimers(): { clientTimers(): string[]; stop(): void } {
  const live = new Map<number, string>()
  const hook = createHook({
    init(id, type) {
      if (type === "Timeout") live.set(id, new Error().stack ?? "")
    },
    destroy(id) {
      live.delete(id)
    },
  })
  hook.enable()
  const ownCode = /[\\/]packages[\\/]((bytes|json|state)[\\/](src|dist)|collections[\\/]src)[\\/]/
  return {
    clientTimers: () => [...live.values()].filter((stack) => ownCode.test(stack)),
    stop: () => hook.disable(),
  }
}

/**
 * Things a test opened (StreamDBs, sessions) closed after each test, so a
 * failing test cannot leave connections behind for the next one.
 */
export function useClosedAfterEach(): Array<{ close(): Promise<void> }> {
  const opened: Array<{ close(): Promise<void> }> = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((item) => item.close()))
  })
  return opened
}
