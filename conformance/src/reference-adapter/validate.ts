import { DurableStream, IdempotentProducer } from "@durable-streams/client"
import type { Result, ValidateCommand } from "../protocol.ts"
import { failure } from "./errors.ts"

/**
 * Builds a producer with the given options and reports whether the client
 * accepted them. This client has no standalone retry options, so that target
 * is NOT_SUPPORTED (and the adapter does not report `retryOptions`).
 */
export function validate(cmd: ValidateCommand, serverUrl: string): Result {
  const target = cmd.target
  if (target.target !== "idempotent-producer") {
    return failure("validate", "NOT_SUPPORTED", "this client has no standalone retry options")
  }
  try {
    new IdempotentProducer(new DurableStream({ url: `${serverUrl}/validate`, warnOnHttp: false }), target.producerId ?? "validation-producer", {
      epoch: target.epoch,
      maxBatchBytes: target.maxBatchBytes,
    })
  } catch (error) {
    return failure("validate", "INVALID_ARGUMENT", error instanceof Error ? error.message : String(error))
  }
  return { type: "validate", success: true }
}
