import { StateMessageError, describeInvalidMessage } from "./message-validation"
import type { ChangeMessage, StateMessage } from "./messages"
import { entityForType, type StateSchema } from "./state-schema"

/**
 * Checks one message: protocol shape first, then (with a schema) that its
 * type is one the schema declares and that its value passes that type's
 * Standard Schema. Returns the message with the schema's output value, so
 * transforms and defaults apply. Sync schemas stay synchronous.
 */
export function checkMessage(
  message: unknown,
  schema: StateSchema | undefined,
  url: string,
  offset: string | undefined
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
  const result = entity.schema["~standard"].validate(change.value)
  if (result instanceof Promise) return result.then((settled) => withValue(change, settled, url, offset))
  return withValue(change, result, url, offset)
}

function withValue(
  change: ChangeMessage,
  result: { value?: unknown; issues?: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }> },
  url: string,
  offset: string | undefined
): ChangeMessage {
  if (result.issues) {
    const issues = result.issues.map((issue) => ({
      message: issue.message,
      path: (issue.path ?? []).map((segment) => (typeof segment === "object" && segment !== null ? segment.key : segment)),
    }))
    const summary = issues.map((issue) => `${issue.path.map(String).join(".") || "(value)"}: ${issue.message}`).join("; ")
    throw new StateMessageError(url, offset, `value fails the ${change.type} schema: ${summary}`, change, issues)
  }
  return result.value === change.value ? change : { ...change, value: result.value }
}
