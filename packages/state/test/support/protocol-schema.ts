import { readFileSync } from "node:fs"
import Ajv from "ajv"
import addFormats from "ajv-formats"

const schema: unknown = JSON.parse(readFileSync(new URL("../state-protocol.schema.json", import.meta.url), "utf8"))

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true })
addFormats(ajv)

/** Validates against test/state-protocol.schema.json (our own encoding of the protocol's message rules). */
export const validateProtocolMessage = ajv.compile(schema as object)

/** Undefined when valid, otherwise ajv's error list as text (for assertion messages). */
export function protocolErrors(message: unknown): string | undefined {
  // JSON round trip: the schema judges what goes on the wire, not the JS object.
  const wire: unknown = JSON.parse(JSON.stringify(message))
  if (validateProtocolMessage(wire)) return undefined
  return ajv.errorsText(validateProtocolMessage.errors)
}
