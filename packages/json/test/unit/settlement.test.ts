/**
 * The receipts `append()` returns are settled in cohorts (one pending
 * promise per run of appends, made only when a receipt is awaited). What a
 * caller relies on: each append's receipt gets its own ticket's outcome, in
 * any settle order, awaited before or after it settles; it works wherever a
 * promise does; a failed one nobody awaits never goes unhandled; a cut
 * cohort never waits for later tickets.
 */
import { describe, expect, it } from "vitest"
import { Settlements, type AppendReceipt } from "../../src/settlement"

const stored = (offset: string) => ({ offset, duplicate: false })

function appendAll(settlements: Settlements, count: number) {
  const tickets: number[] = []
  const promises: Array<AppendReceipt> = []
  for (let i = 0; i < count; i++) {
    tickets.push(settlements.create())
    promises.push(settlements.lastReceipt!)
  }
  return { tickets, promises }
}

describe("Settlements", () => {
  it("gives every append its own outcome, whatever order they are settled in", async () => {
    const settlements = new Settlements()
    const { tickets, promises } = appendAll(settlements, 5)
    const failure = new Error("refused alone")
    // Settled backwards, one failure in the middle (a 413 split refused message 2).
    settlements.resolve(tickets[4]!, stored("4"))
    settlements.resolve(tickets[3]!, stored("3"))
    settlements.reject(tickets[2]!, failure)
    settlements.resolve(tickets[1]!, stored("1"))
    settlements.resolve(tickets[0]!, stored("0"))
    const outcomes = await Promise.allSettled(promises)
    expect(outcomes).toEqual([
      { status: "fulfilled", value: stored("0") },
      { status: "fulfilled", value: stored("1") },
      { status: "rejected", reason: failure },
      { status: "fulfilled", value: stored("3") },
      { status: "fulfilled", value: stored("4") },
    ])
  })

  it("settles a cut cohort without waiting for tickets made after the cut", async () => {
    const settlements = new Settlements()
    const first = appendAll(settlements, 3)
    settlements.cut() // the batch holding the first three was sealed
    const second = appendAll(settlements, 2)
    for (const ticket of first.tickets) settlements.resolve(ticket, stored("a"))
    await expect(Promise.all(first.promises)).resolves.toEqual([stored("a"), stored("a"), stored("a")])
    let laterSettled = false
    void Promise.all(second.promises).then(() => (laterSettled = true))
    await Promise.resolve()
    expect(laterSettled).toBe(false)
    for (const ticket of second.tickets) settlements.resolve(ticket, stored("b"))
    await expect(Promise.all(second.promises)).resolves.toEqual([stored("b"), stored("b")])
  })

  it("a cohort that began to settle takes no more tickets, so a new append never delays it", async () => {
    const settlements = new Settlements()
    const early = appendAll(settlements, 2)
    settlements.resolve(early.tickets[0]!, stored("0"))
    const late = appendAll(settlements, 1)
    settlements.resolve(early.tickets[1]!, stored("1"))
    await expect(Promise.all(early.promises)).resolves.toEqual([stored("0"), stored("1")])
    settlements.resolve(late.tickets[0]!, stored("2"))
    await expect(late.promises[0]).resolves.toEqual(stored("2"))
  })

  it("keeps outcomes apart across many cohorts (thousands of appends, settled out of order)", async () => {
    const settlements = new Settlements()
    const { tickets, promises } = appendAll(settlements, 5000)
    const order = tickets.map((ticket, i) => [ticket, i] as const).reverse()
    for (const [ticket, i] of order) {
      if (i % 997 === 0) settlements.reject(ticket, new Error(`no ${i}`))
      else settlements.resolve(ticket, stored(String(i)))
    }
    const outcomes = await Promise.allSettled(promises)
    outcomes.forEach((outcome, i) => {
      if (i % 997 === 0) expect(outcome).toEqual({ status: "rejected", reason: new Error(`no ${i}`) })
      else expect(outcome).toEqual({ status: "fulfilled", value: stored(String(i)) })
    })
  })

  it("a failed append nobody awaits is not an unhandled rejection", async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on("unhandledRejection", onUnhandled)
    try {
      const settlements = new Settlements()
      const ticket = settlements.create()
      settlements.reject(ticket, new Error("ignored by the caller"))
      // Unhandled rejections are reported after the microtask queue drains.
      await new Promise((resolve) => setImmediate(resolve))
      await new Promise((resolve) => setImmediate(resolve))
      expect(unhandled).toEqual([])
    } finally {
      process.off("unhandledRejection", onUnhandled)
    }
  })

  it("a receipt is awaited, chained and combined like a promise", async () => {
    const settlements = new Settlements()
    const { tickets, promises: receipts } = appendAll(settlements, 3)
    const failure = new Error("refused")
    const seen: string[] = []
    const chained = receipts[0]!.then((result) => `then ${result.offset}`)
    const caught = receipts[1]!.catch((error: Error) => `catch ${error.message}`)
    const finished = receipts[2]!.finally(() => seen.push("finally"))
    settlements.resolve(tickets[0]!, stored("0"))
    settlements.reject(tickets[1]!, failure)
    settlements.resolve(tickets[2]!, stored("2"))
    await expect(chained).resolves.toBe("then 0")
    await expect(caught).resolves.toBe("catch refused")
    await expect(finished).resolves.toEqual(stored("2"))
    expect(seen).toEqual(["finally"])
    await expect(Promise.all([receipts[0]!, receipts[2]!])).resolves.toEqual([stored("0"), stored("2")])
    await expect(
      (async () => {
        await receipts[1]
      })()
    ).rejects.toBe(failure)
    expect(Object.prototype.toString.call(receipts[0])).toBe("[object AppendReceipt]")
  })

  it("a receipt first awaited long after its cohort settled still gives its own outcome", async () => {
    const settlements = new Settlements()
    const { tickets, promises: receipts } = appendAll(settlements, 4)
    settlements.resolve(tickets[0]!, stored("a"))
    settlements.resolve(tickets[1]!, stored("a"))
    settlements.reject(tickets[2]!, new Error("alone"))
    settlements.resolve(tickets[3]!, stored("b"))
    await new Promise((resolve) => setImmediate(resolve))
    await expect(Promise.allSettled(receipts)).resolves.toEqual([
      { status: "fulfilled", value: stored("a") },
      { status: "fulfilled", value: stored("a") },
      { status: "rejected", reason: new Error("alone") },
      { status: "fulfilled", value: stored("b") },
    ])
  })

  it("settling a ticket twice keeps its first outcome", async () => {
    const settlements = new Settlements()
    const { tickets, promises } = appendAll(settlements, 2)
    settlements.resolve(tickets[0]!, stored("first"))
    settlements.reject(tickets[0]!, new Error("late"))
    settlements.resolve(tickets[1]!, stored("x"))
    await expect(promises[0]).resolves.toEqual(stored("first"))
  })
})
