// The one smoke scenario every runtime runs against the real reference server.
//
// It receives the imported `@durable-client/collections` module as `lib`, so
// the runtime decides which build is under test (ESM, CJS, a browser bundle).
// It uses web-standard APIs only: no Node, Deno or Bun globals, and none of
// the APIs React Native lacks (crypto, streams, AbortSignal.any/timeout,
// structuredClone, performance). Every mismatch throws an Error whose message
// starts with "smoke:" and says what was expected.

const MESSAGES = 1000
const ROUND = MESSAGES / 4
const STEP_TIMEOUT_MS = 20_000

/**
 * @param {object} options
 * @param {string} options.serverUrl Origin of the reference server, e.g. http://127.0.0.1:4437
 * @param {any} options.lib The imported @durable-client/collections module
 * @param {Function} [options.fetch] Injected fetch; default: the runtime's global fetch
 * @param {string} [options.name] Runtime name, used in stream names
 * @param {"sse" | "long-poll"} [options.expectLiveTransport] What `live: "auto"` must settle on
 * @param {(line: string) => void} [options.log]
 */
export async function runSmoke(options) {
  const { serverUrl, lib } = options
  if (typeof serverUrl !== "string" || !/^https?:\/\//.test(serverUrl)) fail(`serverUrl must be an http(s) origin (got ${serverUrl})`)
  if (!lib || typeof lib.JsonStream !== "function") fail("lib must be the @durable-client/collections module")
  const log = options.log ?? (() => undefined)
  const fetchOption = options.fetch ? { fetch: options.fetch } : {}
  const prefix = `smoke-${options.name ?? "runtime"}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  const steps = {}
  const step = async (name, body) => {
    const started = Date.now()
    log(`step ${name}`)
    const value = await body()
    steps[name] = Date.now() - started
    return value
  }

  const messages = await step("messages", () => messagesPart(lib, serverUrl, prefix, fetchOption, options.expectLiveTransport))
  const state = await step("state", () => statePart(lib, serverUrl, prefix, fetchOption))
  return { prefix, ...messages, state, steps }
}

/** A message with non-ASCII text (2-, 3- and 4-byte UTF-8) so encoding bugs show. */
function message(n) {
  return { n, text: `message ${n} héllo ✓ 🚀` }
}

async function messagesPart(lib, serverUrl, prefix, fetchOption, expectLiveTransport) {
  const url = `${serverUrl}/v1/stream/${prefix}-messages`
  const json = await lib.JsonStream.create({ url, ...fetchOption })
  check(json.created === true, `creating ${url} should report created === true (got ${json.created})`)
  const producer = new lib.IdempotentProducer(json, `${prefix}-producer`, { lingerMs: 1 })
  let acknowledged = 0
  const writeRange = async (from, to) => {
    const acks = []
    for (let n = from; n < to; n++) acks.push(producer.append(message(n)))
    await within(producer.flush(), `producer.flush() after messages ${from}..${to - 1}`)
    for (const ack of await Promise.all(acks)) {
      check(ack.duplicate === false, `append acknowledged as a duplicate on a fresh producer`)
      acknowledged++
    }
  }

  // Tail A: live in auto mode from the start; it sees round 1 arrive, then is
  // cancelled while its next live request is in flight.
  const tailA = json.read({ offset: "-1", live: "auto" })
  const seenA = []
  const tailADone = consume(tailA, seenA)
  await writeRange(0, ROUND)
  await waitFor(() => seenA.length >= ROUND, `tail A to receive messages 0..${ROUND - 1}`, () => `has ${seenA.length}`)
  // Cancel only once the tail is live, so cancel() aborts a live request in
  // flight and the transport the runtime chose is known (a fixed wait was
  // too short on a loaded machine).
  await waitFor(() => tailA.liveTransport !== undefined, "tail A to go live", () => `liveTransport ${tailA.liveTransport}`)
  await within(tailA.cancel(), "tailA.cancel()")
  await within(tailADone, "tail A to end quietly after cancel()")
  expectRange(seenA, 0, ROUND, "tail A")
  const transportA = tailA.liveTransport
  if (expectLiveTransport) {
    check(transportA === expectLiveTransport, `tail A in live "auto" should use ${expectLiveTransport} here (used ${transportA})`)
  }
  const savedOffset = tailA.offset
  check(typeof savedOffset === "string" && savedOffset !== "-1", `tail A should have a saved offset after ${ROUND} messages (got ${savedOffset})`)

  // Round 2 is written while nobody reads; tail B resumes from the saved
  // offset and must see round 2 by catch-up and rounds 3-4 live.
  await writeRange(ROUND, 2 * ROUND)
  const tailB = json.read({ offset: savedOffset, live: "auto" })
  const seenB = []
  const tailBDone = consume(tailB, seenB, MESSAGES - ROUND)
  await waitFor(() => seenB.length >= ROUND, `tail B to catch up on messages ${ROUND}..${2 * ROUND - 1}`, () => `has ${seenB.length}`)
  await writeRange(2 * ROUND, MESSAGES)
  await within(tailBDone, `tail B to receive messages ${ROUND}..${MESSAGES - 1}`, () => `has ${seenB.length}`)
  expectRange(seenB, ROUND, MESSAGES, "tail B (resumed from the saved offset)")
  const transportB = tailB.liveTransport
  if (expectLiveTransport) {
    check(transportB === expectLiveTransport, `tail B in live "auto" should use ${expectLiveTransport} here (used ${transportB})`)
  }
  check(acknowledged === MESSAGES, `producer acknowledged ${acknowledged} of ${MESSAGES} appends`)

  // Catch-up read of the whole stream: every message once, in order, intact.
  const all = await within(json.read({ offset: "-1", live: false }).json(), "catch-up read of the whole stream")
  check(all.length === MESSAGES, `catch-up read returned ${all.length} messages, expected ${MESSAGES}`)
  for (let n = 0; n < MESSAGES; n++) {
    const expected = message(n)
    const got = all[n]
    if (!got || got.n !== expected.n || got.text !== expected.text) {
      fail(`catch-up message ${n} is ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`)
    }
  }

  await within(producer.close(), "producer.close()")
  const info = await within(json.head(), "HEAD after close")
  check(info.closed === true, `stream should report closed after producer.close() (got ${info.closed})`)
  return {
    messages: all.length,
    tails: { a: { received: seenA.length, liveTransport: transportA }, b: { received: seenB.length, liveTransport: transportB } },
    resumedFrom: savedOffset,
  }
}

/** Collects message numbers; stops on its own after `limit` of them (leaving the loop cancels the read). */
async function consume(session, into, limit = Infinity) {
  for await (const batch of session) {
    for (const item of batch.items) into.push(item.n)
    if (into.length >= limit) break
  }
}

function expectRange(seen, from, to, who) {
  check(seen.length === to - from, `${who} received ${seen.length} messages, expected ${to - from} (${from}..${to - 1})`)
  for (let i = 0; i < seen.length; i++) {
    if (seen[i] !== from + i) {
      const repeated = seen.indexOf(seen[i]) !== i
      fail(`${who}: message #${i} is ${seen[i]}, expected ${from + i}${repeated ? " (repeated)" : " (lost or out of order)"}`)
    }
  }
}

/** A Standard Schema validator written by hand, so no validation library is needed in any runtime. */
function objectSchema(fields) {
  return {
    "~standard": {
      version: 1,
      vendor: "smoke",
      validate(value) {
        if (typeof value !== "object" || value === null) return { issues: [{ message: "expected an object" }] }
        for (const [field, type] of Object.entries(fields)) {
          if (typeof value[field] !== type) return { issues: [{ message: `${field} must be a ${type}`, path: [field] }] }
        }
        return { value }
      },
    },
  }
}

async function statePart(lib, serverUrl, prefix, fetchOption) {
  const url = `${serverUrl}/v1/stream/${prefix}-state`
  const stream = await lib.JsonStream.create({ url, ...fetchOption })
  const schema = lib.createStateSchema({
    users: { type: "user", primaryKey: "id", schema: objectSchema({ id: "string", name: "string", active: "boolean" }) },
  })
  const writer = new lib.StateWriter(stream, { schema, producerId: `${prefix}-writer`, lingerMs: 1 })
  const storage = lib.memoryStorage()
  const materializer = lib.materialize({ stream, schema, live: "auto", storage })
  await within(materializer.ready, "materializer.ready on the empty stream")

  const db = lib.createStreamDB({
    url,
    ...fetchOption,
    schema,
    live: "auto",
    actionTimeoutMs: STEP_TIMEOUT_MS,
    actions: {
      addUser: {
        optimistic: (draft, user) => draft.users.insert(user),
        write: (user, context) => context.schema.users.insert({ value: user }),
      },
    },
  })
  await within(db.ready, "db.ready")
  const active = db.collections.users.query({ where: { active: true }, orderBy: "name" })
  const snapshots = []
  const unsubscribe = active.subscribe((rows) => snapshots.push(rows.map((row) => row.id).join(",")))
  check(snapshots.length === 1 && snapshots[0] === "", `a live query on an empty collection should start empty (got ${JSON.stringify(snapshots)})`)

  const user = (id, name, active) => ({ id, name, active })
  const first = await within(
    writer.write([
      schema.users.insert({ value: user("u1", "Grace", true) }),
      schema.users.insert({ value: user("u2", "Alan", true) }),
      schema.users.insert({ value: user("u3", "Barbara", false) }),
      schema.users.insert({ value: user("u4", "Edsger", true) }),
      schema.users.insert({ value: user("u5", "Tony", true) }),
    ]),
    "StateWriter.write (5 inserts)"
  )
  await within(materializer.awaitTxid(first.txid, { timeoutMs: STEP_TIMEOUT_MS }), `materializer to apply txid ${first.txid}`)
  await within(db.materializer.awaitTxid(first.txid, { timeoutMs: STEP_TIMEOUT_MS }), `StreamDB to apply txid ${first.txid}`)
  expectIds(active.current, "u2,u4,u1,u5", "live query after the inserts")

  const second = await within(
    writer.write([
      schema.users.update({ value: user("u2", "Zuse", true), oldValue: user("u2", "Alan", true) }),
      schema.users.update({ value: user("u4", "Edsger", false) }),
      schema.users.delete({ key: "u5" }),
    ]),
    "StateWriter.write (2 updates, 1 delete)"
  )
  await within(db.materializer.awaitTxid(second.txid, { timeoutMs: STEP_TIMEOUT_MS }), `StreamDB to apply txid ${second.txid}`)
  expectIds(active.current, "u1,u2", "live query after update/delete")

  // Optimistic action: visible at once, then confirmed by its echo.
  const action = db.actions.addUser(user("u6", "Ada", true))
  expectIds(active.current, "u6,u1,u2", "live query right after an optimistic insert")
  const { txid } = await within(action, "optimistic action addUser to be confirmed")
  check(typeof txid === "string" && txid.length >= 16, `action txid should be a random id (got ${txid})`)
  expectIds(active.current, "u6,u1,u2", "live query after the action was confirmed")
  await within(materializer.awaitTxid(txid, { timeoutMs: STEP_TIMEOUT_MS }), `materializer to apply the action's txid`)

  // Both materialized views (the plain materializer and the StreamDB's) agree.
  const rows = [...materializer.state.entries("user")].map(([key, value]) => `${key}:${value.name}:${value.active}`).join(" ")
  const expectedRows = "u1:Grace:true u2:Zuse:true u3:Barbara:false u4:Edsger:false u6:Ada:true"
  check(rows === expectedRows, `materialized users are "${rows}", expected "${expectedRows}"`)
  check(db.collections.users.size === 5, `StreamDB users collection has ${db.collections.users.size} rows, expected 5`)
  // The subscriber saw each write land, in order, and the optimistic row never
  // flickered out while its write was being confirmed.
  const distinct = snapshots.filter((ids, i) => ids !== snapshots[i - 1])
  const milestones = ["", "u2,u4,u1,u5", "u1,u2", "u6,u1,u2"]
  let at = 0
  for (const ids of distinct) if (ids === milestones[at]) at++
  check(at === milestones.length, `live query updates were ${JSON.stringify(distinct)}; expected to see ${JSON.stringify(milestones)} in that order`)
  const optimisticAt = distinct.indexOf("u6,u1,u2")
  check(
    distinct.slice(optimisticAt).every((ids) => ids.split(",").includes("u6")),
    `the optimistic row u6 disappeared before its write was confirmed: ${JSON.stringify(distinct)}`
  )

  // Checkpoint resume: a new materializer with the same storage reads only the suffix.
  await within(materializer.dispose(), "materializer.dispose() (saves a checkpoint)")
  const checkpointOffset = materializer.offset
  const third = await within(writer.write(schema.users.insert({ value: user("u7", "Linus", true) })), "StateWriter.write (1 insert)")
  const resumed = lib.materialize({ stream, schema, live: false, storage })
  await within(resumed.done, "resumed materializer to catch up")
  check(resumed.startOffset === checkpointOffset, `resumed materializer started at ${resumed.startOffset}, expected the checkpoint ${checkpointOffset}`)
  check(resumed.messagesApplied === 1, `resumed materializer applied ${resumed.messagesApplied} messages, expected only the 1 written after the checkpoint`)
  check(resumed.state.get("user", "u7")?.name === "Linus" && resumed.state.size("user") === 6, `resumed state should hold u7 and 6 users`)
  await within(db.materializer.awaitTxid(third.txid, { timeoutMs: STEP_TIMEOUT_MS }), "StreamDB to apply the last write")

  unsubscribe()
  active.dispose()
  await within(db.dispose(), "db.dispose()")
  await within(writer.close(), "writer.close()")
  return { users: resumed.state.size("user"), liveQueryUpdates: distinct.length, txid }
}

function expectIds(rows, expected, what) {
  const ids = rows.map((row) => row.id).join(",")
  check(ids === expected, `${what}: rows are [${ids}], expected [${expected}]`)
}

function check(condition, message) {
  if (!condition) fail(message)
}

function fail(message) {
  throw new Error(`smoke: ${message}`)
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Resolves with the promise's value, or fails naming what did not happen in time. */
function within(promise, what, detail) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const extra = detail ? ` (${detail()})` : ""
      reject(new Error(`smoke: timed out after ${STEP_TIMEOUT_MS} ms waiting for ${what}${extra}`))
    }, STEP_TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

async function waitFor(predicate, what, detail) {
  const deadline = Date.now() + STEP_TIMEOUT_MS
  while (!predicate()) {
    if (Date.now() > deadline) {
      fail(`timed out after ${STEP_TIMEOUT_MS} ms waiting for ${what}${detail ? ` (${detail()})` : ""}`)
    }
    await sleep(5)
  }
}
