import { type StreamOperation } from "@durable-client/json"
import { validateWithSchema, type SchemaVerdict } from "@durable-client/json/internal"
import { StateMessageError, describeInvalidMessage } from "./message-validation"
import type { ChangeMessage, StateMessage } from "./messages"
import { entityForType, type StateSchema } from "./state-schema"

/**
 * Checks one message: protocol shape first, then (with a schema) that its
 * type is one the schema declares and that its value passes that type's
 * Standard Schema, through the JSON layer's one validation path (any
 * thenable result is awaited). Returns the message with the schema's output
 * value, so transforms and defaults apply. Sync schemas stay synchronous:
 * the result is a Promise only when the schema answered with a thenable.
 */
export function checkMessage(
  message: unknown,
  schema: StateSchema | undefined,
  url: string,
  offset: string | undefined,
  operation: StreamOperation = "read"
): StateMessage | Promise<StateMessage> {
  const problem = describeInvalidMessage(message)
  if (problem !== undefined) throw new StateMessageError(url, offset, problem, message)
  const state = message as StateMessage
  if (schema === undefined || !("operation" in state.headers)) return state
  const change = state as ChangeMessage
  const entity = entityForType(schema, change.type)
  if (entity === undefined) {
    throw new StateMessageError(url, offset, `type ${JSON.stringify(change.type)} is not in the schema`, message)
  }
  // Delete messages carry no value to validate.
  if (change.headers.operation === "delete" || change.value === undefined) return change
  const verdict = validateWithSchema(entity.schema, change.value, { url, what: `the ${change.type} schema`, operation })
  if (verdict instanceof Promise) return verdict.then((settled) => withValue(change, settled, url, offset))
  return withValue(change, verdict, url, offset)
}

function withValue(change: ChangeMessage, verdict: SchemaVerdict<unknown>, url: string, offset: string | undefined): ChangeMessage {
  if (!verdict.ok) {
    const summary = verdict.issues
      .map((issue) => `${issue.path.map(String).join(".") || "(value)"}: ${issue.message}`)
      .join("; ")
    throw new StateMessageError(url, offset, `value fails the ${change.type} schema: ${summary}`, change, verdict.issues)
  }
  return verdict.value === change.value ? change : { ...change, value: verdict.value }
}
