// How a target hands its outcome to the runner: one line "RESULT <json>" on
// stdout. Web-standard only, so Node, Bun, Deno and the browser bundles share it.

/** Turns any thrown value into something JSON can carry, keeping the cause chain. */
export function describeError(error, depth = 0) {
  if (error === null || typeof error !== "object") return { message: String(error) }
  const out = { name: error.name, message: String(error.message ?? error) }
  if (error.code !== undefined) out.code = error.code
  if (error.status !== undefined) out.status = error.status
  if (typeof error.stack === "string") out.stack = error.stack.split("\n").slice(0, 12).join("\n")
  if (error.cause !== undefined && depth < 4) out.cause = describeError(error.cause, depth + 1)
  return out
}

export function resultLine(outcome) {
  return `RESULT ${JSON.stringify(outcome)}`
}
