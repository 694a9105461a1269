// Node (CommonJS): require the built package by its name, so Node picks the
// "require" branch of the exports map, and check that every layer underneath
// was loaded as CommonJS too (no ESM copy: one class identity per layer).
// Usage: node node-cjs.cjs <serverUrl> <runtimeName>
"use strict"

const lib = require("@durable-client/collections")
const [serverUrl, name] = process.argv.slice(2)

async function main() {
  const { runSmoke } = await import("../../scenario/smoke.js")
  const { describeError, resultLine } = await import("./report.js")
  try {
    const entry = require.resolve("@durable-client/collections")
    if (!/[\\/]packages[\\/]collections[\\/]dist[\\/]index\.cjs$/.test(entry)) {
      throw new Error(`smoke: require() resolved @durable-client/collections to ${entry}, expected packages/collections/dist/index.cjs`)
    }
    const loaded = Object.keys(require.cache)
    for (const layer of ["bytes", "json", "state", "collections"]) {
      const cjs = new RegExp(`[\\\\/]packages[\\\\/]${layer}[\\\\/]dist[\\\\/]index\\.cjs$`)
      if (!loaded.some((file) => cjs.test(file))) {
        throw new Error(`smoke: require("@durable-client/collections") did not load the CommonJS build of @durable-client/${layer}`)
      }
    }
    const result = await runSmoke({ serverUrl, lib, name, expectLiveTransport: "sse" })
    result.entry = entry
    console.log(resultLine({ ok: true, result }))
    process.exit(0)
  } catch (error) {
    console.log(resultLine({ ok: false, error: describeError(error) }))
    process.exit(1)
  }
}

main()
