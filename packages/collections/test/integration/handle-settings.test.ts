/**
 * A handle given to createStreamDB is used as it is: its fetch, headers and
 * params reach every request of the view and of the actions' writes.
 */
import { useReferenceServer, watchFetch, type FetchWatch } from "@durable-client/testing/vitest"
import { afterEach, describe, expect, it } from "vitest"
import { DurableStream, JsonStream, createStreamDB, type LiveMode } from "../../src/index"
import { createStream, schema, useClosedAfterEach } from "../support/db"
import type { Todo } from "../support/schemas"

const server = useReferenceServer({ longPollTimeoutMs: 100 })
const opened = useClosedAfterEach()

let watch: FetchWatch | undefined
afterEach(() => watch?.restore())

const row = (id: string): Todo => ({ id, text: `todo ${id}`, done: false, rank: 0 })

async function configuredHandle(): Promise<DurableStream> {
  const url = server.streamUrl()
  await createStream(url)
  watch = watchFetch(url)
  // No contentType: the StreamDB must learn it through the handle (a HEAD) before writing.
  return new DurableStream({
    url,
    fetch: watch.fetch,
    headers: { authorization: "Bearer t0k3n" },
    params: { tenant: () => "acme" },
  })
}

describe("createStreamDB({ stream }) with a configured byte handle", () => {
  it.each<LiveMode>(["long-poll", "sse", "auto"])(
    "sends every read and every action's write (live: %s) through the handle's fetch, with its header and param",
    async (live) => {
      const handle = await configuredHandle()
      const db = createStreamDB({
        stream: handle,
        schema,
        live,
        actions: {
          addTodo: {
            optimistic: (draft, id: string) => draft.todos.insert(row(id)),
            write: (id: string, { schema }) => schema.todos.insert({ value: row(id) }),
          },
        },
      })
      opened.push(db)
      await db.ready
      await db.actions.addTodo("1")
      await db.actions.addTodo("2")
      expect(db.collections.todos.toArray()).toEqual([row("1"), row("2")])
      await db.dispose()

      const seen = watch!
      expect(seen.calls.some((call) => call.method === "POST")).toBe(true)
      expect(seen.calls.some((call) => call.method === "GET")).toBe(true)
      expect(seen.bypassed).toEqual([])
      for (const call of seen.calls) {
        expect(call.headers.get("authorization"), `${call.method} ${call.url}`).toBe("Bearer t0k3n")
        expect(call.url.searchParams.get("tenant"), `${call.method} ${call.url}`).toBe("acme")
      }
    }
  )

  it("a JsonStream handle is used as is too", async () => {
    const handle = await configuredHandle()
    const db = createStreamDB({ stream: JsonStream.from(handle), schema, live: false })
    opened.push(db)
    await db.ready
    expect(watch!.calls.length).toBeGreaterThan(0)
    expect(watch!.bypassed).toEqual([])
  })
})
