import { raisedError, useReferenceServer, waitFor } from "@durable-client/testing/vitest"
import { describe, expect, it } from "vitest"
import {
  DurableStream,
  ForkError,
  JsonStream,
  materialize,
  memoryStorage,
  type Checkpoint,
  type Materializer,
} from "../../src/index"
import { ins, upd } from "../support/messages"

const ref = useReferenceServer()

/** One request to a stream, with the bytes of its response body. */
interface Seen {
  method: string
  path: string
  offset: string | null
  bytes: number
}

/** A fetch that records every request and how many body bytes came back (read here, then handed on). */
function recordingFetch(): { fetch: typeof globalThis.fetch; seen: Seen[] } {
  const seen: Seen[] = []
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const method = init?.method ?? "GET"
    const response = await globalThis.fetch(input, init)
    if (method !== "GET" || response.body === null) {
      seen.push({ method, path: url.pathname, offset: url.searchParams.get("offset"), bytes: 0 })
      return response
    }
    const body = new Uint8Array(await response.arrayBuffer())
    seen.push({ method, path: url.pathname, offset: url.searchParams.get("offset"), bytes: body.byteLength })
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers })
  }) as typeof globalThis.fetch
  return { fetch, seen }
}

const PADDING = "x".repeat(200)

/** A source stream with `writes` appends of 10 users each, read through `fetch`. */
async function sourceWithUsers(writes: number, fetch: typeof globalThis.fetch): Promise<JsonStream> {
  const url = ref.streamUrl()
  await JsonStream.create({ url })
  const source = JsonStream.from(new DurableStream({ url, fetch }))
  for (let w = 0; w < writes; w++) {
    await source.appendMany(Array.from({ length: 10 }, (_, i) => ins("user", `u${w * 10 + i}`, { name: `user ${w * 10 + i}`, PADDING })))
  }
  return source
}

/** Every row of a view, by type/key. */
function rows(view: Materializer): Record<string, unknown> {
  const all: Record<string, unknown> = {}
  for (const type of view.state.types()) for (const [key, value] of view.state.entries(type)) all[`${type}/${key}`] = value
  return all
}

describe("Materializer.fork", () => {
  it("starts the fork's view from a copy of the source's checkpoint and reads only the fork's own suffix", async () => {
    const recorder = recordingFetch()
    const source = await sourceWithUsers(20, recorder.fetch)
    const view = materialize({ stream: source, live: false })
    await view.ready
    expect(view.state.size("user")).toBe(200)
    const at = view.capture()

    const requestsBefore = recorder.seen.length
    const forkUrl = ref.streamUrl()
    const branch = await view.fork({ url: forkUrl, live: "long-poll" })
    // The source moves on; none of this belongs to the fork.
    await source.append(ins("user", "only-in-source", { name: "source" }))
    // The fork's own suffix.
    const fork = JsonStream.from(new DurableStream({ url: forkUrl }))
    const suffix = [upd("user", "u0", { name: "renamed in the fork" }), ins("user", "only-in-fork", { name: "fork" })]
    await fork.appendMany(suffix)
    await waitFor(() => branch.state.has("user", "only-in-fork"), "the fork's suffix in its view")

    // The fork's view: the source's state at the fork point, then its suffix; nothing of the source after it.
    expect(branch.startOffset).toBe(at.offset)
    expect(branch.messagesApplied).toBe(2)
    expect(branch.state.size("user")).toBe(201)
    expect(branch.state.get("user", "u0")).toEqual({ name: "renamed in the fork" })
    expect(branch.state.has("user", "only-in-source")).toBe(false)
    // The source's view is untouched by the fork's writes.
    expect(view.state.get("user", "u0")).toMatchObject({ name: "user 0" })

    // What went over the wire after the fork: one PUT, then reads of the fork from the fork point on, never from -1.
    const after = recorder.seen.slice(requestsBefore)
    const forkPath = new URL(forkUrl).pathname
    const reads = after.filter((request) => request.method === "GET")
    expect(after.filter((request) => request.method === "PUT").map((request) => request.path)).toEqual([forkPath])
    expect(reads.every((request) => request.path === forkPath)).toBe(true)
    expect(reads[0]!.offset).toBe(at.offset)
    expect(reads.some((request) => request.offset === "-1")).toBe(false)
    // The bytes read are the suffix's, not the 200 users before the fork point
    // (besides an empty "[]" answer when a long-poll found nothing new yet).
    const readBytes = reads.filter((request) => request.bytes > 2).reduce((sum, request) => sum + request.bytes, 0)
    const suffixBytes = (await fork.stream.read({ offset: at.offset, live: false }).bytes()).byteLength
    const wholeFork = (await fork.stream.read({ live: false }).bytes()).byteLength
    expect(readBytes).toBe(suffixBytes)
    expect(wholeFork).toBeGreaterThan(50 * readBytes)

    // A view of the fork replayed from the start reaches the same state.
    const replay = materialize({ url: forkUrl, live: false })
    await replay.ready
    expect(rows(replay)).toEqual(rows(branch))
    await Promise.all([branch.dispose(), replay.dispose(), view.dispose()])
  })

  it("forks at an earlier delivered position, captured in an observer", async () => {
    const recorder = recordingFetch()
    const source = await sourceWithUsers(1, recorder.fetch)
    const view = materialize({ stream: source, live: "long-poll" })
    await view.ready
    let captured: Checkpoint | undefined
    view.subscribe((changes) => {
      // Inside an observer the offset and the state agree: this is a delivered position.
      if (changes.some((change) => change.key === "marker")) captured = view.capture()
    })
    await source.append(ins("user", "marker", { name: "fork here" }))
    await waitFor(() => captured !== undefined, "the marker")
    await source.append(ins("user", "later", { name: "after the fork point" }))
    await waitFor(() => view.state.has("user", "later"), "the later write")

    const branch = await view.fork({ url: ref.streamUrl(), at: captured!, live: false })
    await branch.ready
    expect(branch.state.has("user", "marker")).toBe(true)
    expect(branch.state.has("user", "later")).toBe(false)
    expect(branch.state.size("user")).toBe(11)
    expect(branch.messagesApplied).toBe(0)
    // The captured checkpoint is a copy: the view went on, it did not.
    expect(captured!.state.tables.user!.some(([key]) => key === "later")).toBe(false)
    await Promise.all([branch.dispose(), view.dispose()])
  })

  it("keeps the source view's storage, under the fork's URL, so the forked view resumes after a restart", async () => {
    const storage = memoryStorage()
    const source = await sourceWithUsers(2, globalThis.fetch)
    const view = materialize({ stream: source, live: false, storage })
    await view.ready
    const forkUrl = ref.streamUrl()
    const branch = await view.fork({ url: forkUrl, live: "long-poll" })
    await branch.ready
    await JsonStream.from(new DurableStream({ url: forkUrl })).append(ins("user", "u-new", { name: "new" }))
    await waitFor(() => branch.state.has("user", "u-new"), "the fork's write")
    await branch.dispose()
    const saved = await storage.load(forkUrl)
    expect(saved?.offset).toBe(branch.offset)

    const again = materialize({ url: forkUrl, storage, live: false })
    await again.ready
    expect(again.startOffset).toBe(branch.offset)
    expect(again.messagesApplied).toBe(0)
    expect(again.state.size("user")).toBe(21)
    await Promise.all([again.dispose(), view.dispose()])
  })

  it("refuses a view that delivered nothing yet with ForkError INVALID_FORK_POINT, before any request", async () => {
    // A view of a stream that does not exist yet: it never delivers a batch.
    const recorder = recordingFetch()
    const view = materialize({ url: ref.streamUrl(), fetch: recorder.fetch, live: false })
    await expect(view.ready).rejects.toMatchObject({ code: "NOT_FOUND" })
    const calls = recorder.seen.length
    const error = await raisedError<ForkError>(() =>
      view.fork({ url: ref.streamUrl(), at: { offset: "-1", state: { version: 1, tables: {} } } })
    )
    expect(error).toBeInstanceOf(ForkError)
    expect(error.reason).toBe("INVALID_FORK_POINT")
    expect(recorder.seen.length).toBe(calls)
    await view.dispose()
  })

  it.each([
    ["url and target", (url: string) => ({ url, target: new DurableStream({ url }) }), "exactly one of url and target"],
    ["at that is not a checkpoint", (url: string) => ({ url, at: { offset: 5 } }), "at must be a checkpoint"],
    ["a bad view option", (url: string) => ({ url, checkpointIntervalMs: Number.NaN }), "checkpointIntervalMs"],
  ])("checks %s before creating the fork", async (_label, options, words) => {
    const source = await sourceWithUsers(1, globalThis.fetch)
    const view = materialize({ stream: source, live: false })
    await view.ready
    const forkUrl = ref.streamUrl()
    const error = await raisedError(() => view.fork(options(forkUrl) as never))
    expect(error.code).toBe("INVALID_ARGUMENT")
    expect(error.message).toContain(words)
    await expect(new DurableStream({ url: forkUrl }).head()).rejects.toMatchObject({ code: "NOT_FOUND" })
    await view.dispose()
  })
})

describe("materialize({ from })", () => {
  it("starts from a copy of a checkpoint when storage holds none; a saved one wins", async () => {
    const source = await sourceWithUsers(3, globalThis.fetch)
    const first = materialize({ stream: source, live: false })
    await first.ready
    const checkpoint = first.capture()
    await source.append(ins("user", "next", { name: "after the checkpoint" }))

    const storage = memoryStorage()
    const resumed = materialize({ stream: source, live: false, from: checkpoint, storage })
    await resumed.ready
    expect(resumed.startOffset).toBe(checkpoint.offset)
    expect(resumed.messagesApplied).toBe(1)
    expect(resumed.state.size("user")).toBe(31)
    // The checkpoint given was copied, not adopted.
    expect(checkpoint.state.tables.user).toHaveLength(30)
    await resumed.dispose()

    // Storage now holds the later checkpoint, which goes before `from`.
    const again = materialize({ stream: source, live: false, from: checkpoint, storage })
    await again.ready
    expect(again.startOffset).toBe(resumed.offset)
    expect(again.messagesApplied).toBe(0)
    await Promise.all([again.dispose(), first.dispose()])
  })
})
