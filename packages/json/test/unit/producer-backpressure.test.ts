import { describe, expect, it } from "vitest"
import type { ProducerAppendResult } from "../../src/index"
import type { FakeProducerServer } from "./support/fake-producer-server"
import { failure, gate, settleTurns, useMswServer, type Gate } from "./support/msw"
import { jsonProducer } from "./support/producer-setup"

const server = useMswServer()

/** A server that answers nothing until the test releases what it holds (or stops holding). */
function holdEveryRequest(fake: FakeProducerServer): { release(): void; stopHolding(): void } {
  const held: Gate[] = []
  let holding = true
  fake.fault(() => {
    if (!holding) return undefined
    const hold = gate()
    held.push(hold)
    return { waitFor: hold.promise }
  })
  const release = (): void => {
    for (const hold of held.splice(0)) hold.open()
  }
  return {
    release,
    stopHolding: () => {
      holding = false
      release()
    },
  }
}

describe("backpressure", () => {
  it("a writer awaiting waitForCapacity() keeps bufferedBytes within maxBufferedBytes + one message; it pends while over", async () => {
    const maxBufferedBytes = 60
    // Each message is 12 bytes of JSON plus its comma: 13 bytes buffered.
    const messageBytes = 13
    const { fake, producer } = jsonProducer(server, { maxBufferedBytes, maxBatchItems: 2, maxInFlight: 2 })
    // A slow server: nothing is acknowledged until the writer has seen ready pend.
    const slow = holdEveryRequest(fake)
    const messages = Array.from({ length: 24 }, (_, i) => `message-${String(i).padStart(2, "0")}`)
    expect(JSON.stringify(messages[0]).length + 1).toBe(messageBytes)

    let highest = 0
    let pendedWhileOver = 0
    const results: Array<Promise<ProducerAppendResult>> = []
    for (const message of messages) {
      await producer.waitForCapacity()
      results.push(producer.append(message))
      highest = Math.max(highest, producer.bufferedBytes)
      expect(producer.bufferedBytes).toBeLessThanOrEqual(maxBufferedBytes + messageBytes)
      if (producer.bufferedBytes >= maxBufferedBytes) {
        let ready = false
        void producer.waitForCapacity().then(() => {
          ready = true
        })
        await settleTurns()
        // The slow server has not acknowledged anything in these few turns.
        if (producer.bufferedBytes >= maxBufferedBytes) {
          expect(ready).toBe(false)
          pendedWhileOver++
        }
        slow.release()
      }
    }
    slow.stopHolding()
    await producer.flush()
    await Promise.all(results)
    // The limit was actually reached, so the bound above was tested.
    expect(highest).toBeGreaterThanOrEqual(maxBufferedBytes)
    expect(pendedWhileOver).toBeGreaterThan(0)
    expect(producer.bufferedBytes).toBe(0)
    expect(fake.messages).toEqual(messages)
  })

  it("waitForCapacity() resolves once acknowledgements bring the buffer below the limit", async () => {
    const { fake, producer } = jsonProducer(server, { maxBufferedBytes: 10 })
    const hold = gate()
    fake.fault(() => ({ waitFor: hold.promise }))
    const appended = producer.append("a long enough message")
    let ready = false
    void producer.waitForCapacity().then(() => {
      ready = true
    })
    await settleTurns()
    expect(ready).toBe(false)
    expect(producer.bufferedBytes).toBeGreaterThanOrEqual(10)
    hold.open()
    await appended
    await settleTurns()
    expect(ready).toBe(true)
    expect(producer.bufferedBytes).toBe(0)
  })

  it("ready, the deprecated alias, resolves like waitForCapacity()", async () => {
    const { fake, producer } = jsonProducer(server, { maxBufferedBytes: 10 })
    const hold = gate()
    fake.fault(() => ({ waitFor: hold.promise }))
    const appended = producer.append("a long enough message")
    let ready = false
    void producer.ready.then(() => {
      ready = true
    })
    await settleTurns()
    expect(ready).toBe(false)
    hold.open()
    await appended
    await settleTurns()
    expect(ready).toBe(true)
  })

  it("appends made past the limit without waiting still all land, once and in order", async () => {
    const { fake, producer } = jsonProducer(server, { maxBufferedBytes: 30, maxBatchItems: 3, maxInFlight: 2 })
    const messages = Array.from({ length: 30 }, (_, i) => i)
    const results = messages.map((m) => producer.append(m))
    // Queued messages beyond the limit are not counted as buffered yet.
    expect(producer.bufferedBytes).toBeLessThanOrEqual(30 + 3)
    await producer.flush()
    await Promise.all(results)
    expect(fake.messages).toEqual(messages)
    expect(producer.bufferedBytes).toBe(0)
  })

  it("waitForCapacity() does not hang a writer when the producer fails; the next append reports the failure", async () => {
    const { fake, producer } = jsonProducer(server, { maxBufferedBytes: 5, retry: { maxRetries: 0 } })
    fake.fault(() => ({ status: 500 }))
    const appended = producer.append("over the limit at once")
    await producer.waitForCapacity()
    expect(producer.bufferedBytes).toBe(0)
    expect((await failure(appended)).status).toBe(500)
    expect((await failure(producer.append("next"))).status).toBe(500)
  })
})
