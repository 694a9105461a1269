// A writer process for producer-outbox-crash.test.ts: an app with a file-backed outbox.
// argv: <sdk bundle> <stream url> <outbox file> <from> <to> <report after N acks>
// It appends messages {i} for i in [from, to), tells the parent once N of them are acknowledged
// (the parent may SIGKILL it from then on), flushes, and reports what the outbox still holds.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs"

const [sdkPath, url, file, from, to, reportAfter] = process.argv.slice(2)
const { IdempotentProducer, JsonStream, keyValueOutbox } = await import(sdkPath)

/** The app's outbox: a map kept in one JSON file, replaced atomically (write aside, then rename) on each change. */
function fileOutbox(path) {
  const entries = new Map(existsSync(path) ? Object.entries(JSON.parse(readFileSync(path, "utf8"))) : [])
  const save = () => {
    writeFileSync(`${path}.tmp`, JSON.stringify(Object.fromEntries(entries)))
    renameSync(`${path}.tmp`, path)
  }
  return {
    get: (key) => entries.get(key),
    set: (key, value) => {
      entries.set(key, value)
      save()
    },
    delete: (key) => {
      if (entries.delete(key)) save()
    },
    keys: () => [...entries.keys()],
  }
}

const outbox = fileOutbox(file)
const producer = new IdempotentProducer(new JsonStream({ url }), "crash-writer", {
  outbox: keyValueOutbox(outbox),
  maxBatchItems: 10,
  onError: (error) => process.send({ error: String(error) }),
})
let acked = 0
for (let i = Number(from); i < Number(to); i++) {
  producer.append({ i }).then(() => {
    if (++acked === Number(reportAfter)) process.send({ acked })
  })
}
await producer.flush()
process.send({ flushed: true, keys: outbox.keys().length }, () => process.exit(0))
