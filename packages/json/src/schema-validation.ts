import type { StreamOperation } from "@durable-client/bytes"
import type { StandardSchemaV1 } from "@standard-schema/spec"
import { callbackFailed } from "@durable-client/bytes/internal"

/** One schema complaint, with the path into the value as plain keys. */
export interface ValidationIssue {
  message: string
  path: PropertyKey[]
}

/** Where a validation runs, for the error a misbehaving validator gets. */
export interface ValidationContext {
  url: string
  /** Names the validator in errors, e.g. "the stream's schema". */
  what: string
  operation: StreamOperation
}

/** A Standard Schema's verdict on one value, issues already normalised. */
export type SchemaVerdict<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] }

/** True for anything that implements Standard Schema v1 (Zod, Valibot, ArkType, …). */
export function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  const standard = (value as { "~standard"?: { validate?: unknown } } | null | undefined)?.["~standard"]
  return typeof standard === "object" && standard !== null && typeof standard.validate === "function"
}

/**
 * The one place the JSON and state layers run a schema. A synchronous
 * validator stays synchronous (replaying a long stream must not pay a
 * microtask per message). Any thenable result is awaited, not only a
 * `Promise` of this realm: schemas from another realm (an iframe, a vm) or
 * libraries returning their own thenables are async too, and treating their
 * result as sync would ignore its issues and strip the value.
 *
 * A validator that throws, rejects or returns something that is not a
 * Standard Schema result fails with CALLBACK_FAILED naming it and the stream.
 */
export function validateWithSchema<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
  context: ValidationContext
): SchemaVerdict<T> | Promise<SchemaVerdict<T>> {
  let result: unknown
  try {
    result = schema["~standard"].validate(value)
  } catch (thrown) {
    throw failed(context, thrown)
  }
  if (isThenable(result)) {
    return Promise.resolve(result).then(
      (settled) => verdict<T>(settled, context),
      (thrown: unknown) => {
        throw failed(context, thrown)
      }
    )
  }
  return verdict<T>(result, context)
}

function verdict<T>(result: unknown, context: ValidationContext): SchemaVerdict<T> {
  if (typeof result !== "object" || result === null) {
    throw failed(context, new TypeError("the validator did not return a Standard Schema result object"))
  }
  const { issues, value } = result as { issues?: ReadonlyArray<StandardSchemaV1.Issue>; value?: T }
  if (issues) return { ok: false, issues: normalizeIssues(issues) }
  return { ok: true, value: value as T }
}

function failed(context: ValidationContext, thrown: unknown) {
  return callbackFailed(context.url, context.what, thrown, context.operation)
}

/** Issue paths as plain keys (Standard Schema allows `{ key }` segments). */
export function normalizeIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): ValidationIssue[] {
  return issues.map((issue) => ({
    message: issue.message,
    path: (issue.path ?? []).map((segment) =>
      typeof segment === "object" && segment !== null ? segment.key : segment
    ),
  }))
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  )
}
