/**
 * The producer's decisions without HTTP, timers or promises: a core is
 * built, fed appends and answers by hand, and what it asks for (sends,
 * settlements, the linger clock) is recorded.
 */
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { DurableStreamError } from "../../src/index"
import type { Batch } from "../../src/batch-builder"
import type { ProducerAppendResult, ProducerCommands } from "../../src/producer-commands"
import { ProducerCore, type ProducerCoreConfig } from "../../src/producer-core"

const url = "http://core.test/stream"

interface Ticket {
  id: number
  result?: ProducerAppendResult
  error?: Error
}

function setup(overrides: Partial<ProducerCoreConfig> = {}) {
  let tickets = 0
  const sent: Array<Batch<Ticket>> = []
  const checks: Array<Batch<Ticket>> = []
  const clock: string[] = []
  const failures: Error[] = []
  const refusals: Error[] = []
  const commands: ProducerCommands<Ticket> = {
    createTicket: () => ({ id: tickets++ }),
    send: (batch) => sent.push(batch),
    checkClosed: (batch) => checks.push(batch),
    resolve: (ticket, result) => {
      ticket.result = result
    },
    reject: (ticket, error) => {
      ticket.error = error
    },
    startLinger: () => clock.push("start"),
    cancelLinger: () => clock.push("cancel"),
    failed: (error) => failures.push(error),
    messageRefused: (error) => refusals.push(error),
  }
  const core = new ProducerCore<Ticket>(
    {
      url,
      producerId: "writer",
      json: true,
      epoch: 0,
      autoClaim: false,
      maxBatchBytes: 1024,
      maxBatchItems: Number.POSITIVE_INFINITY,
      maxInFlight: 4,
      maxBufferedBytes: 1 << 20,
      ...overrides,
    },
    commands
  )
  /** Appends a JSON message given as its text (its wire size is the text plus a comma). */
  const append = (text: string): Ticket => core.append(text)
  /** What went out, as [epoch, seq, body] per send. */
  const wire = (): Array<[number, number, string]> =>
    sent.map((batch) => [batch.epoch, batch.seq, new TextDecoder().decode(batch.body)])
  return { core, sent, checks, clock, failures, refusals, append, wire }
}

const stored = (offset: string, serverSeq?: number) => ({ status: 200, offset, serverSeq })
const duplicate = (serverSeq?: number) => ({ status: 204, offset: undefined, serverSeq })

function httpError(status: number, headers: Record<string, string> = {}, code = "UNEXPECTED_STATUS"): DurableStreamError {
  return new DurableStreamError(code as DurableStreamError["code"], `answer ${status}`, {
    url,
    operation: "append",
    status,
    headers: new Headers(headers),
  })
}
const gap = (expected: number, received: number) =>
  httpError(409, { "Producer-Expected-Seq": String(expected), "Producer-Received-Seq": String(received) }, "SEQUENCE_CONFLICT")
const fenced = (serverEpoch: number) => httpError(403, { "Producer-Epoch": String(serverEpoch) }, "STALE_EPOCH")
const networkError = () => new DurableStreamError("NETWORK", "connection reset", { url, operation: "append" })

describe("batching", () => {
  it("an append starts the linger clock; nothing is sent until it fires, then the batch goes as one body", () => {
    const { core, append, clock, wire } = setup()
    append('"a"')
    append('"b"')
    expect(clock).toEqual(["start"])
    expect(wire()).toEqual([])
    core.lingerElapsed()
    expect(wire()).toEqual([[0, 0, '["a","b"]']])
  })

  it("maxBatchItems seals a batch at once and stops its clock; flush() sends the rest without lingering", () => {
    const { core, append, sent, clock, wire } = setup({ maxBatchItems: 2 })
    append("1")
    append("2")
    expect(clock).toEqual(["start", "cancel"])
    expect(wire()).toEqual([[0, 0, "[1,2]"]])
    append("3")
    core.beginFlush()
    // The first batch of an epoch goes alone; the next waits for its answer.
    expect(wire()).toHaveLength(1)
    core.answered(sent[0]!, stored("2"))
    expect(wire()).toEqual([
      [0, 0, "[1,2]"],
      [0, 1, "[3]"],
    ])
  })

  it("a message that would push the body past maxBatchBytes starts the next batch", () => {
    // Each message is 4 bytes of JSON plus a comma; [m,m] is 11 bytes, [m,m,m] 16.
    const { core, append, sent, wire } = setup({ maxBatchBytes: 12 })
    for (const text of ['"aa"', '"bb"', '"cc"', '"dd"', '"ee"']) append(text)
    core.beginFlush()
    core.answered(sent[0]!, stored("2"))
    core.answered(sent[1]!, stored("4"))
    core.answered(sent[2]!, stored("5"))
    expect(wire()).toEqual([
      [0, 0, '["aa","bb"]'],
      [0, 1, '["cc","dd"]'],
      [0, 2, '["ee"]'],
    ])
    for (const [, , body] of wire()) expect(body.length).toBeLessThanOrEqual(12)
  })

  it("every append has its own ticket; the appends of a batch settle together", () => {
    const { core, append, sent } = setup()
    const first = append("1")
    const second = append("2")
    expect(second).not.toBe(first)
    core.beginFlush()
    core.answered(sent[0]!, stored("2"))
    expect(first.result).toEqual({ offset: "2", duplicate: false })
    expect(second.result).toEqual({ offset: "2", duplicate: false })
  })
})

describe("413 Payload Too Large", () => {
  const tooLarge = () => httpError(413, {}, "PAYLOAD_TOO_LARGE")

  it("splits a refused batch in two and resends the halves under the refused seq and the next", () => {
    const { core, append, sent, wire } = setup()
    const tickets = ["1", "2", "3"].map(append)
    core.beginFlush()
    core.refused(sent[0]!, tooLarge())
    expect(wire()).toEqual([
      [0, 0, "[1,2,3]"],
      [0, 0, "[1,2]"],
    ])
    core.answered(sent[1]!, stored("a"))
    expect(wire()[2]).toEqual([0, 1, "[3]"])
    core.answered(sent[2]!, stored("b"))
    expect(tickets.map((ticket) => ticket.result?.offset)).toEqual(["a", "a", "b"])
    expect(core.idle).toBe(true)
    expect(core.bufferedBytes).toBe(0)
  })

  it("fails a single refused message alone; later batches in flight are held and renumbered from its seq", () => {
    const { core, append, sent, wire, failures, refusals } = setup({ maxBatchItems: 1 })
    const first = append("1")
    core.answered(sent[0]!, stored("a"))
    const tickets = ["22", "3", "4"].map(append)
    expect(wire().slice(1).map(([, seq]) => seq)).toEqual([1, 2, 3])
    core.refused(sent[1]!, tooLarge())
    // Seqs 2 and 3 were never stored: the server answers them with gaps.
    core.refused(sent[3]!, gap(1, 3))
    expect(sent).toHaveLength(4)
    core.refused(sent[2]!, gap(1, 2))
    expect(wire().slice(4)).toEqual([
      [0, 1, "[3]"],
      [0, 2, "[4]"],
    ])
    core.answered(sent[4]!, stored("b"))
    core.answered(sent[5]!, stored("c"))
    expect(first.result?.offset).toBe("a")
    expect(tickets[0]!.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE" })
    expect(tickets.slice(1).map((ticket) => ticket.result?.offset)).toEqual(["b", "c"])
    expect(refusals).toHaveLength(1)
    expect(failures).toEqual([])
    expect(core.error).toBeUndefined()
    expect(core.idle).toBe(true)
    expect(core.nextSeq).toBe(3)
  })
})

describe("seq assignment and the in-flight window", () => {
  it("the first batch of an epoch goes alone; once acknowledged, up to maxInFlight pipeline with consecutive seqs", () => {
    const { core, append, sent, wire } = setup({ maxBatchItems: 1, maxInFlight: 3 })
    for (const n of [1, 2, 3, 4, 5]) append(String(n))
    expect(wire().map(([epoch, seq]) => [epoch, seq])).toEqual([[0, 0]])
    core.answered(sent[0]!, stored("1"))
    expect(wire().map(([, seq]) => seq)).toEqual([0, 1, 2, 3])
    expect(core.inFlightCount).toBe(3)
    expect(core.nextSeq).toBe(4)
  })

  it("counts bytes as buffered until their batch is acknowledged", () => {
    const { core, append, sent } = setup()
    append('"abc"')
    expect(core.bufferedBytes).toBe(6)
    core.beginFlush()
    core.answered(sent[0]!, stored("1"))
    expect(core.bufferedBytes).toBe(0)
    expect(core.idle).toBe(true)
  })
})

describe("buffered bytes", () => {
  it("are exactly the bodies' bytes while sent, for texts of any characters and length, and nothing once acknowledged", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: "grapheme", maxLength: 700 }), { minLength: 1, maxLength: 120 }), (values) => {
        const { core, append, sent } = setup({ maxInFlight: 1000 })
        // Short texts are written to the body a run at a time: what they take beyond their length is counted then.
        for (const value of values) append(JSON.stringify(value))
        core.beginFlush()
        const bodies = sent.map((batch) => batch.body!.length - 1)
        expect(core.bufferedBytes).toBe(bodies.reduce((sum, bytes) => sum + bytes, 0))
        expect(sent.flatMap((batch) => JSON.parse(new TextDecoder().decode(batch.body)) as string[])).toEqual(values)
        for (const batch of [...sent]) core.answered(batch, stored("1"))
        expect(core.bufferedBytes).toBe(0)
      }),
      { numRuns: 60 }
    )
  })
})

describe("answers", () => {
  it("a 204 to a resend after an attempt that may have been stored is our duplicate", () => {
    const { core, append, sent } = setup()
    const ticket = append("1")
    core.beginFlush()
    // The handle asks before each retry: a network error may have been stored, and is retryable.
    expect(core.attemptFailed(sent[0]!, networkError())).toBe(true)
    core.answered(sent[0]!, duplicate(0))
    expect(ticket.result).toEqual({ offset: undefined, duplicate: true })
    expect(core.error).toBeUndefined()
  })

  it("a 204 to a first attempt is another instance's seq: STALE_EPOCH, and everything pending fails with it", () => {
    const { core, append, sent, failures } = setup({ maxBatchItems: 1 })
    const first = append("1")
    const second = append("2")
    core.answered(sent[0]!, duplicate(0))
    expect(first.error).toMatchObject({ code: "STALE_EPOCH", currentEpoch: 0 })
    expect(second.error).toBe(first.error)
    expect(failures).toEqual([first.error])
    expect(core.bufferedBytes).toBe(0)
  })

  it("a 429 stored nothing, so a 204 after it is still someone else's", () => {
    const { core, append, sent } = setup()
    const ticket = append("1")
    core.beginFlush()
    expect(core.attemptFailed(sent[0]!, httpError(429, {}, "RATE_LIMITED"))).toBe(true)
    core.answered(sent[0]!, duplicate(0))
    expect(ticket.error).toMatchObject({ code: "STALE_EPOCH" })
  })

  it("a 400 is not retried and fails the producer with it", () => {
    const { core, append, sent, failures } = setup()
    const ticket = append("1")
    core.beginFlush()
    const refusal = httpError(400, {}, "BAD_REQUEST")
    expect(core.attemptFailed(sent[0]!, refusal)).toBe(false)
    core.refused(sent[0]!, refusal)
    expect(ticket.error).toBe(refusal)
    expect(failures).toEqual([refusal])
    // A failed producer sends nothing more.
    append("2")
    expect(sent).toHaveLength(1)
  })

  it("a close-only 204 before anything of ours is stored in the epoch asks the stream, then settles on its answer", () => {
    for (const closed of [true, false]) {
      const { core, sent, checks } = setup()
      const ticket = core.enqueueClose(undefined)
      core.beginFlush()
      expect(sent[0]!.close).toBe(true)
      core.answered(sent[0]!, duplicate(0))
      expect(checks).toEqual([sent[0]])
      core.closeChecked(checks[0]!, duplicate(0), closed)
      if (closed) expect(ticket.result).toEqual({ offset: undefined, duplicate: false })
      else expect(ticket.error).toMatchObject({ code: "STALE_EPOCH" })
    }
  })
})

/** One message per batch; seq 0 is acknowledged, then seq 2 overtakes seq 1 on the wire and meets a gap. */
function overtaken(overrides: Partial<ProducerCoreConfig> = {}) {
  const fixture = setup({ maxBatchItems: 1, ...overrides })
  const { core, append, sent } = fixture
  append("0")
  core.answered(sent[0]!, stored("1"))
  append("1")
  append("2")
  const [, one, two] = sent
  core.refused(two!, gap(1, 2))
  return { ...fixture, one: one!, two: two! }
}

describe("sequence gaps", () => {
  it("a batch that overtook an earlier one waits for it, then is resent under the same tuple", () => {
    const { core, sent, wire, one, two } = overtaken()
    expect(sent).toHaveLength(3)
    core.answered(one!, stored("2"))
    expect(sent).toHaveLength(4)
    expect(sent[3]).toBe(two)
    expect(wire()[3]).toEqual(wire()[2])
    core.answered(two!, stored("3"))
    expect(core.idle).toBe(true)
  })

  it("a batch waiting to be resent goes before anything appended after the gap, so it is not overtaken again", () => {
    const { core, append, sent, wire, one, two } = overtaken({ maxInFlight: 4 })
    // Appended while seq 2 waits: held back, though the window has room.
    append("3")
    expect(sent).toHaveLength(3)
    core.answered(one!, stored("2"))
    // The resend first, then (one at a time after an overtake) the new batch.
    expect(sent[3]).toBe(two)
    expect(sent).toHaveLength(4)
    core.answered(two!, stored("3"))
    expect(wire().slice(4)).toEqual([[0, 3, "[3]"]])
    core.answered(sent[4]!, stored("4"))
    expect(core.idle).toBe(true)
  })

  it("after an overtake, batches go one at a time and the window widens again as they are acknowledged", () => {
    const { core, append, sent } = overtaken({ maxInFlight: 3 })
    core.answered(sent[1]!, stored("2"))
    core.answered(sent[3]!, stored("3"))
    // Width 1, then 2 after one acknowledgement, then 3 after two more.
    for (const n of [3, 4, 5, 6, 7, 8]) append(String(n))
    expect(core.inFlightCount).toBe(1)
    core.answered(sent[4]!, stored("4"))
    expect(core.inFlightCount).toBe(2)
    core.answered(sent[5]!, stored("5"))
    core.answered(sent[6]!, stored("6"))
    expect(core.inFlightCount).toBe(3)
  })

  it("when the earlier batch fails, the waiting one fails with the same failure", () => {
    const { core, append, sent } = setup({ maxBatchItems: 1 })
    append("0")
    core.answered(sent[0]!, stored("1"))
    const one = append("1")
    const two = append("2")
    core.refused(sent[2]!, gap(1, 2))
    const cause = httpError(503)
    core.refused(sent[1]!, cause)
    expect(one.error).toBe(cause)
    expect(two.error).toBe(cause)
  })

  it("a gap that never heals is resent a bounded number of times, then fails with SEQUENCE_CONFLICT", () => {
    const { core, append, sent, failures } = setup()
    const ticket = append("1")
    core.beginFlush()
    const batch = sent[0]!
    for (let i = 0; i < 10 && !ticket.error; i++) core.refused(batch, gap(7, 0))
    expect(sent.filter((b) => b === batch)).toHaveLength(4)
    expect(ticket.error).toMatchObject({ code: "SEQUENCE_CONFLICT" })
    expect(failures).toHaveLength(1)
  })
})

describe("stale epoch (403)", () => {
  it("without autoClaim: STALE_EPOCH with the server's epoch; restart() moves past it", () => {
    const { core, append, sent } = setup()
    const ticket = append("1")
    core.beginFlush()
    core.refused(sent[0]!, fenced(5))
    expect(ticket.error).toMatchObject({ code: "STALE_EPOCH", currentEpoch: 5, status: 403 })
    core.restart()
    expect(core.error).toBeUndefined()
    expect([core.epoch, core.nextSeq]).toEqual([6, 0])
  })

  it("with autoClaim: parks what comes back fenced, then renumbers it under server epoch + 1, in order", () => {
    const { core, append, sent, wire } = setup({ autoClaim: true, maxBatchItems: 1, maxInFlight: 3 })
    append("a")
    core.answered(sent[0]!, stored("1"))
    const tickets = ["b", "c", "d"].map((text) => append(`"${text}"`))
    const [, b, c, d] = sent
    // Fenced answers come back out of order; nothing is resent while one of the old epoch is out.
    core.refused(d!, fenced(3))
    core.refused(b!, fenced(3))
    expect(sent).toHaveLength(4)
    core.refused(c!, fenced(3))
    expect(core.epoch).toBe(4)
    expect(wire().slice(4)).toEqual([[4, 0, '["b"]']])
    core.answered(sent[4]!, stored("2"))
    expect(wire().slice(5)).toEqual([
      [4, 1, '["c"]'],
      [4, 2, '["d"]'],
    ])
    core.answered(sent[5]!, stored("3"))
    core.answered(sent[6]!, stored("4"))
    expect(tickets.map((ticket) => ticket.result?.offset)).toEqual(["2", "3", "4"])
  })
})

describe("backpressure", () => {
  it("past maxBufferedBytes an append waits uncounted, then joins a batch when space frees and shares its result", () => {
    const { core, append, sent } = setup({ maxBufferedBytes: 4 })
    const first = append('"abcd"')
    expect(core.overLimit).toBe(true)
    const waiting = append('"e"')
    expect(waiting).not.toBe(first)
    expect(core.bufferedBytes).toBe(7)
    core.beginFlush()
    core.answered(sent[0]!, stored("1"))
    expect(core.bufferedBytes).toBe(4)
    core.answered(sent[1]!, stored("2"))
    expect(waiting.result).toEqual({ offset: "2", duplicate: false })
    core.endFlush()
    expect(core.idle).toBe(true)
  })
})

describe("abort", () => {
  it("rejects everything pending and stops the linger clock", () => {
    const { core, append, clock, failures } = setup()
    const ticket = append("1")
    const reason = new DurableStreamError("ABORTED", "stop", { url })
    core.abort(reason)
    expect(ticket.error).toBe(reason)
    expect(clock).toEqual(["start", "cancel"])
    expect(core.bufferedBytes).toBe(0)
    expect(core.idle).toBe(true)
    // An abort is not a failure of the stream: onError is for those.
    expect(failures).toEqual([])
  })
})

describe("durable outbox", () => {
  const tooLarge = () => httpError(413, {}, "PAYLOAD_TOO_LARGE")

  it("restores sent batches under their own tuples before anything appended meanwhile, and takes a 204 as our duplicate", () => {
    const { core, append, sent, wire } = setup()
    core.holdForRestore()
    const later = append("9")
    core.beginFlush()
    expect(sent).toHaveLength(0)
    expect(core.idle).toBe(false)
    core.restore({ sent: [{ epoch: 2, seq: 7, payloads: ["1", "2"] }], pending: [["3"]] })
    expect(wire()).toEqual([[2, 7, "[1,2]"]])
    core.answered(sent[0]!, duplicate(7))
    // The epoch is confirmed: what follows pipelines, in order.
    expect(wire().slice(1)).toEqual([
      [2, 8, "[3]"],
      [2, 9, "[9]"],
    ])
    core.answered(sent[1]!, stored("b"))
    core.answered(sent[2]!, stored("c"))
    expect(later.result).toEqual({ offset: "c", duplicate: false })
    expect(core.idle).toBe(true)
  })

  it("renumbers a restored batch from the seq a gap names when nothing earlier is in flight", () => {
    const { core, sent, wire } = setup()
    core.holdForRestore()
    core.restore({ sent: [{ epoch: 0, seq: 5, payloads: ["1"] }], pending: [] })
    core.refused(sent[0]!, gap(3, 5))
    // The same batch, renumbered in place and sent again.
    expect(sent).toHaveLength(2)
    expect(wire()[1]).toEqual([0, 3, "[1]"])
    expect(core.nextSeq).toBe(4)
  })

  it("keeps no tuple for the halves of a split batch, nor for a batch behind the hole", () => {
    const { core, append, sent } = setup({ maxBatchItems: 2 })
    append("1")
    append("2")
    core.answered(sent[0]!, stored("a"))
    for (const text of ["3", "4", "5", "6"]) append(text)
    expect(core.outboxSent().map((batch) => batch.seq)).toEqual([1, 2])
    core.refused(sent[1]!, tooLarge())
    // The halves and the batch behind the hole will be renumbered: none is kept under its tuple.
    expect(core.outboxSent()).toEqual([])
  })
})
