import { describe, expect, it } from "vitest"
import { ResponseBranch } from "../../src/response-branch"

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return new Response(stream).text()
}

describe("ResponseBranch: the response body's copy of a generation", () => {
  it("hands out chunks that arrived before the body was opened, then the live ones, then [DONE]", async () => {
    const branch = new ResponseBranch()
    branch.push({ type: "start", messageId: "m" })
    const body = branch.open("http://s/x")
    branch.push({ type: "finish" })
    branch.end()
    expect(await readAll(body)).toBe('data: {"type":"start","messageId":"m"}\n\ndata: {"type":"finish"}\n\ndata: [DONE]\n\n')
  })

  it("serves a generation that ended before the body was opened", async () => {
    const branch = new ResponseBranch()
    branch.push({ type: "start" })
    branch.end()
    expect(await readAll(branch.open("http://s/x"))).toBe('data: {"type":"start"}\n\ndata: [DONE]\n\n')
  })

  it("fails the body with the write failure", async () => {
    const branch = new ResponseBranch()
    const body = branch.open("http://s/x")
    const failure = new Error("stream gone")
    branch.end(failure)
    await expect(readAll(body)).rejects.toBe(failure)
  })

  it("drops everything once the reader has gone, without failing the writer", async () => {
    const branch = new ResponseBranch()
    const body = branch.open("http://s/x")
    await body.cancel()
    expect(() => {
      branch.push({ type: "start" })
      branch.end()
    }).not.toThrow()
  })

  it("opens once: the body is the generation's one live copy", () => {
    const branch = new ResponseBranch()
    branch.open("http://s/x")
    expect(() => branch.open("http://s/x")).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }))
  })
})
