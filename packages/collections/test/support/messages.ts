import type { ChangeMessage, ControlMessage, ControlType } from "../../src/index"

/** Raw wire messages, written out by hand so tests do not depend on the schema builders. */
export function ins(type: string, key: string, value: unknown, txid?: string): ChangeMessage {
  return { type, key, value, headers: txid === undefined ? { operation: "insert" } : { operation: "insert", txid } }
}

export function upd(type: string, key: string, value: unknown, txid?: string): ChangeMessage {
  return { type, key, value, headers: txid === undefined ? { operation: "update" } : { operation: "update", txid } }
}

export function del(type: string, key: string, txid?: string): ChangeMessage {
  return { type, key, headers: txid === undefined ? { operation: "delete" } : { operation: "delete", txid } }
}

export function control(control: ControlType): ControlMessage {
  return { headers: { control } }
}
