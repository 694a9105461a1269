/**
 * A handle given to the state layer is used as it is: its fetch, headers and
 * params reach every request a materializer and a writer make.
 */
import { useReferenceServer, watchFetch, type FetchWatch } from "@durable-client/testing/vitest"
import { afterEach, describe, expect, it } from "vitest"
import { DurableStream, JsonStream, StateWriter, createStateSchema, materialize, type LiveMode } from "../../src/index"
import { objectSchema } from "../support/schemas"

const ref = useReferenceServer()

const schema = createStateSchema({
  users: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string", name: "string" }) },
})

let watch: FetchWatch | undefined
afterEach(() => watch?.restore())

/** A fresh JSON stream, and a byte handle on it with a custom fetch, an auth header and a param. */
async function configuredHandle(): Promise<DurableStream> {
  const url = ref.streamUrl()
  await JsonStream.create({ url })
  watch = watchFetch(url)
  return new DurableStream({
    url,
    contentType: "application/json",
    fetch: watch.fetch,
    headers: { authorization: () => "Bearer t0k3n" },
    params: { tenant: "acme" },
    retry: { initialDelayMs: 5, maxDelayMs: 20 },
  })
}

function expectEveryRequestConfigured(seen: FetchWatch): void {
  expect(seen.calls.length).toBeGreaterThan(0)
  expect(seen.bypassed).toEqual([])
  for (const call of seen.calls) {
    expect(call.headers.get("authorization"), `${call.method} ${call.url}`).toBe("Bearer t0k3n")
    expect(call.url.searchParams.get("tenant"), `${call.method} ${call.url}`).toBe("acme")
  }
}

describe("materialize({ stream }) with a configured byte handle", () => {
  it.each<LiveMode>([false, "long-poll", "sse", "auto"])(
    "sends every read and write of live: %s through the handle's fetch, with its header and param",
    async (live) => {
      const handle = await configuredHandle()
      const writer = new StateWriter(handle, { schema, lingerMs: 0 })
      const first = await writer.write(schema.users.insert({ value: { id: "ada", name: "Ada" } }))
      const view = materialize({ stream: handle, schema, live })
      await view.ready
      if (live !== false) {
        const second = await writer.write(schema.users.insert({ value: { id: "alan", name: "Alan" } }))
        await view.awaitTxid(second.txid, { timeoutMs: 10_000 })
      } else {
        await view.awaitTxid(first.txid, { timeoutMs: 10_000 })
      }
      await view.dispose()
      await writer.detach()
      expect(view.state.get("user", "ada")).toEqual({ id: "ada", name: "Ada" })
      if (live !== false) expect(view.state.get("user", "alan")).toEqual({ id: "alan", name: "Alan" })
      expectEveryRequestConfigured(watch!)
    }
  )

  it("a JsonStream made with JsonStream.from(handle) is the same handle underneath", async () => {
    const handle = await configuredHandle()
    const view = materialize({ stream: JsonStream.from(handle), live: false })
    await view.done
    expectEveryRequestConfigured(watch!)
  })
})
