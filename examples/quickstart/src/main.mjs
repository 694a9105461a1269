// @ts-check
import { DurableStreamTestServer } from "@durable-streams/server"
import { createNarrator, TourCheckFailed } from "./narrate.mjs"
import { sections } from "./sections/index.mjs"

const startedAt = Date.now()
const narrator = createNarrator()

// The real reference server, in memory, on a free loopback port: nothing to
// install, configure or clean up. Port 0 must be explicit (the constructor's
// default is a fixed port). A 1 s long-poll wait instead of 30 s keeps an
// idle poll from holding up the end of the tour.
const server = new DurableStreamTestServer({ host: "127.0.0.1", port: 0, longPollTimeout: 1_000 })
const serverUrl = await server.start()
console.log("durable-client quickstart")
console.log(`embedded Durable Streams reference server on ${serverUrl}`)

let failed = false
try {
  for (const section of sections) {
    narrator.section(section.title)
    await section.run({
      narrator,
      serverUrl,
      streamUrl: (name) => `${serverUrl}/v1/stream/${encodeURIComponent(name)}`,
    })
  }
} catch (error) {
  failed = true
  console.error("")
  if (error instanceof TourCheckFailed) console.error(`tour FAILED, ${error.message}`)
  else console.error("tour FAILED with an unexpected error:", error)
} finally {
  await server.stop()
}

if (!failed) {
  console.log("")
  console.log(`tour complete in ${((Date.now() - startedAt) / 1000).toFixed(1)} s, server stopped`)
}
// exitCode rather than exit(): lets pending output flush before Node exits.
process.exitCode = failed ? 1 : 0
