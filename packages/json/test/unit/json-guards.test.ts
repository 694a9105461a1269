/**
 * Inputs that are easy to get wrong: refused loudly, with the stream named,
 * instead of being sent in a form nobody meant.
 */
import { http, HttpResponse } from "msw"
import { describe, expect, it } from "vitest"
import { JsonStream } from "../../src/index"
import { jsonProducer } from "./support/producer-setup"
import { streamUrl, useMswServer } from "./support/msw"

const server = useMswServer()

describe("guards", () => {
  it("a JSON producer refuses bytes instead of sending them as an object of indices", async () => {
    const { fake, producer } = jsonProducer(server)
    const result = producer.append(new Uint8Array([1, 2, 3]) as never)
    await expect(result).rejects.toMatchObject({ code: "INVALID_ARGUMENT", url: producer.url })
    await producer.flush()
    expect(fake.requests).toHaveLength(0)
  })

  it("json() rejects with ABORTED when the caller aborts, rather than returning a partial list", async () => {
    const url = streamUrl("json-abort")
    const controller = new AbortController()
    server.use(
      http.get(url, () => {
        // The first response is a partial catch-up; the caller gives up before the rest.
        controller.abort()
        return HttpResponse.json([1, 2], { headers: { "stream-next-offset": "0002" } })
      })
    )
    const session = new JsonStream({ url }).read({ signal: controller.signal })
    await expect(session.json()).rejects.toMatchObject({ code: "ABORTED", url })
  })
})
