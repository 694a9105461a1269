import { DurableStream, IdempotentProducer } from "@durable-client/json"
import { resolveRetry } from "@durable-client/json/internal"
import type { Result, ValidateCommand } from "../protocol.ts"
import { failure } from "./errors.ts"

const PLACEHOLDER_URL = "http://validation.invalid/stream"

/**
 * Builds the object the target names with the given options and reports
 * whether the SDK accepted them. Nothing is sent: option checks happen at
 * construction.
 */
export function validate(cmd: ValidateCommand): Result {
  const target = cmd.target
  switch (target.target) {
    case "retry-options":
      resolveRetry(PLACEHOLDER_URL, {
        maxRetries: target.maxRetries,
        initialDelayMs: target.initialDelayMs,
        maxDelayMs: target.maxDelayMs,
        multiplier: target.multiplier,
      })
      return { type: "validate", success: true }
    case "idempotent-producer": {
      const stream = new DurableStream({ url: PLACEHOLDER_URL, contentType: "application/octet-stream" })
      new IdempotentProducer(stream, target.producerId ?? "validation-producer", {
        epoch: target.epoch,
        maxBatchBytes: target.maxBatchBytes,
        maxBatchItems: target.maxBatchItems,
      })
      return { type: "validate", success: true }
    }
    default:
      return failure(
        "validate",
        "NOT_SUPPORTED",
        `unknown validation target ${JSON.stringify((target as { target?: unknown }).target)}`
      )
  }
}
