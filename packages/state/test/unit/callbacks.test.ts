/**
 * A caller's callback can't break the state layer: a throwing subscriber,
 * onInvalidMessage or checkpoint storage is reported as CALLBACK_FAILED and
 * everything else goes on.
 */
import { afterEach, describe, expect, it, vi } from "vitest"
import {
  MaterializedState,
  createStateSchema,
  materialize,
  type Change,
  type CheckpointStorage,
  type DurableStreamError,
} from "../../src/index"
import { FAKE_URL, pagedReadFetch } from "../support/fake-http"
import { ins, upd } from "../support/messages"
import { objectSchema } from "../support/schemas"

const schema = createStateSchema({
  users: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string", name: "string" }) },
})
const user = (id: string, name: string) => ({ id, name })

afterEach(() => {
  vi.unstubAllGlobals()
})

describe("MaterializedState observers", () => {
  it("one that throws does not keep the change from the others, nor from apply()'s caller", () => {
    const reported: DurableStreamError[] = []
    const state = new MaterializedState({ url: FAKE_URL, onCallbackError: (error) => reported.push(error) })
    const bug = new Error("subscriber bug")
    const heard: Change[][] = []
    state.subscribe(() => {
      throw bug
    })
    state.subscribe((changes) => heard.push([...changes]))
    expect(() => state.apply([ins("user", "1", user("1", "Ada"))])).not.toThrow()
    expect(heard).toHaveLength(1)
    expect(state.get("user", "1")).toEqual(user("1", "Ada"))
    expect(reported).toHaveLength(1)
    expect(reported[0]).toMatchObject({ code: "CALLBACK_FAILED", url: FAKE_URL, cause: bug })
    expect(reported[0]!.message).toContain("a change subscriber")
  })

  it("without onCallbackError, the error goes to the runtime as uncaught (reportError), not to apply()", () => {
    const uncaught: unknown[] = []
    vi.stubGlobal("reportError", (error: unknown) => uncaught.push(error))
    const state = new MaterializedState()
    state.subscribe(() => {
      throw new Error("bug")
    })
    state.apply([ins("user", "1", user("1", "Ada"))])
    expect(uncaught).toEqual([expect.objectContaining({ code: "CALLBACK_FAILED" })])
  })
})

describe("materialize with throwing callbacks", () => {
  const pages = [
    { items: [ins("user", "1", user("1", "Ada"))] },
    { items: [ins("user", "2", 42)] },
    { items: [upd("user", "1", user("1", "Ada L.")), ins("user", "3", user("3", "Grace"))] },
  ]

  it("a subscriber that throws on every batch stops neither the other subscribers nor the materializer", async () => {
    const reported: DurableStreamError[] = []
    const view = materialize({
      url: FAKE_URL,
      fetch: pagedReadFetch(pages),
      live: false,
      schema,
      onInvalidMessage: () => undefined,
      onCallbackError: (error) => reported.push(error),
    })
    const heard: string[] = []
    view.subscribe(() => {
      throw new Error("subscriber bug")
    })
    view.subscribe((changes) => heard.push(...changes.map((change) => `${change.operation} ${change.key}`)))
    await view.ready
    await view.done
    expect(view.status).toBe("closed")
    expect(heard).toEqual(["insert 1", "update 1", "insert 3"])
    expect(view.state.get("user", "1")).toEqual(user("1", "Ada L."))
    expect(reported.map((error) => error.code)).toEqual(["CALLBACK_FAILED", "CALLBACK_FAILED"])
  })

  it("an onInvalidMessage that throws still skips the message, and the rest applies", async () => {
    const reported: DurableStreamError[] = []
    const bug = new Error("handler bug")
    const view = materialize({
      url: FAKE_URL,
      fetch: pagedReadFetch(pages),
      live: false,
      schema,
      onInvalidMessage: () => {
        throw bug
      },
      onCallbackError: (error) => reported.push(error),
    })
    await view.done
    expect(view.state.get("user", "3")).toEqual(user("3", "Grace"))
    expect(view.state.has("user", "2")).toBe(false)
    expect(reported).toHaveLength(1)
    expect(reported[0]).toMatchObject({ code: "CALLBACK_FAILED", cause: bug })
    expect(reported[0]!.message).toContain("onInvalidMessage")
  })

  it("a storage that fails to load or save is reported; the view is rebuilt and stays correct", async () => {
    const reported: DurableStreamError[] = []
    const storage: CheckpointStorage = {
      load: () => {
        throw new Error("disk gone")
      },
      save: async () => {
        throw new Error("disk full")
      },
      clear: () => undefined,
    }
    const view = materialize({
      url: FAKE_URL,
      fetch: pagedReadFetch([pages[0]!, pages[2]!]),
      live: false,
      storage,
      onCallbackError: (error) => reported.push(error),
    })
    await view.done
    expect(view.state.get("user", "3")).toEqual(user("3", "Grace"))
    expect(reported.map((error) => error.message.match(/storage\.\w+/)?.[0])).toEqual(["storage.load", "storage.save"])
    // An explicit checkpoint() says so to its caller.
    await expect(view.checkpoint()).rejects.toMatchObject({ code: "CALLBACK_FAILED" })
  })
})
