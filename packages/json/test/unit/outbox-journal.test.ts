/**
 * OutboxJournal against a memory store, without a producer: what a restored
 * instance gets back after settlements in and out of order, tuples on the
 * wire, and a partial last segment.
 */
import { describe, expect, it } from "vitest"
import { OutboxJournal, type JournalSource } from "../../src/outbox-journal"
import { createMemoryOutbox } from "../../src/producer-outbox"

const URL = "http://streams.test/a"
const config = { url: URL, producerId: "p", json: true, maxBatchItems: 4, maxBatchBytes: 1 << 20 }

type Ticket = { id: number }

function journal(outbox = createMemoryOutbox(), sent: Array<{ epoch: number; seq: number; tickets: Ticket[] }> = []) {
  const failures: Error[] = []
  const source: JournalSource<Ticket> = { position: () => ({ epoch: 3, nextSeq: 9 }), sent: () => sent, stopped: () => false }
  return { outbox, sent, failures, journal: new OutboxJournal<Ticket>(outbox, config, source, (error) => failures.push(error)) }
}

describe("OutboxJournal", () => {
  it("gives back the tuples on the wire and, in order, the unsent messages, skipping what settled out of order", async () => {
    const first = journal()
    expect(await first.journal.read()).toEqual({ sent: [], pending: [], position: undefined })
    first.journal.adopt([])
    const tickets = Array.from({ length: 150 }, (_, id) => ({ id }))
    for (const ticket of tickets) first.journal.accept(ticket, String(ticket.id))
    // Messages 0..9 stored; 20..23 stored ahead of 10..19 (on the wire as seq 7); 30 refused alone.
    for (const ticket of [...tickets.slice(0, 10), ...tickets.slice(20, 24), tickets[30]!]) first.journal.settle(ticket)
    first.sent.push({ epoch: 3, seq: 7, tickets: tickets.slice(10, 20) })
    await first.journal.sync()

    const second = journal(first.outbox)
    const snapshot = await second.journal.read()
    expect(snapshot.position).toEqual({ epoch: 3, nextSeq: 9 })
    expect(snapshot.sent).toEqual([{ epoch: 3, seq: 7, payloads: tickets.slice(10, 20).map((t) => String(t.id)) }])
    const pending = snapshot.pending.flat()
    const expected = tickets.slice(24).filter((t) => t.id !== 30).map((t) => String(t.id))
    expect(pending).toEqual(expected)
    // New batches within maxBatchItems, and never across a settled message (a batch is a range).
    expect(snapshot.pending.every((batch) => batch.length <= 4)).toBe(true)
    expect(snapshot.pending.some((batch) => batch.includes("29") && batch.includes("31"))).toBe(false)
  })

  it("drops segments once their messages settle, keeps the head, and goes on past the stored end", async () => {
    const first = journal()
    await first.journal.read()
    first.journal.adopt([])
    const tickets = Array.from({ length: 100 }, (_, id) => ({ id }))
    for (const ticket of tickets) first.journal.accept(ticket, JSON.stringify({ i: ticket.id }))
    await first.journal.written()
    expect(first.outbox.keys().sort()).toEqual([`producer:p@${URL}`, `producer:p@${URL}#0`, `producer:p@${URL}#1`])
    for (const ticket of tickets.slice(0, 70)) first.journal.settle(ticket)
    await first.journal.written()
    expect(first.outbox.keys().sort()).toEqual([`producer:p@${URL}`, `producer:p@${URL}#1`])

    const second = journal(first.outbox)
    const snapshot = await second.journal.read()
    expect(snapshot.pending.flat()).toEqual(tickets.slice(70).map((t) => JSON.stringify({ i: t.id })))
    const restored = snapshot.pending.flat().map((_, at) => ({ id: 1000 + at }))
    second.journal.adopt(restored)
    // A message accepted now takes index 100, in the partial segment 1 the earlier instance left.
    const later = { id: 2000 }
    second.journal.accept(later, '"later"')
    for (const ticket of restored) second.journal.settle(ticket)
    await second.journal.written()
    const third = await journal(first.outbox).journal.read()
    expect(third.pending).toEqual([['"later"']])
    second.journal.settle(later)
    await second.journal.written()
    expect(first.outbox.keys()).toEqual([`producer:p@${URL}`])
    expect(second.failures).toEqual([])
  })
})
