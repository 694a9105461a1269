import { DurableStreamError } from "@durable-client/bytes"
import type { StandardSchemaV1 } from "@standard-schema/spec"
import { normalizeIssues, type ValidationIssue } from "./schema-validation"

export type { ValidationIssue } from "./schema-validation"

/**
 * A value read from the stream failed the caller's schema. Carries the
 * stream URL, the offset of the batch it came in (resume from `offset` of the
 * session to skip nothing) and every issue with its path. Its `name` is
 * its own; `isDurableStreamError` still recognises it (by brand).
 */
export class ValidationError extends DurableStreamError {
  override readonly name: string = "ValidationError"
  readonly issues: ValidationIssue[]
  readonly value: unknown

  constructor(
    url: string,
    offset: string | undefined,
    issues: ReadonlyArray<StandardSchemaV1.Issue>,
    value: unknown
  ) {
    const normalised = normalizeIssues(issues)
    const summary = normalised
      .map((issue) => `${issue.path.length ? issue.path.map(String).join(".") : "(root)"}: ${issue.message}`)
      .join("; ")
    super(
      "VALIDATION",
      `Stream ${url}: message after offset ${offset ?? "-1"} failed schema validation: ${summary}`,
      { url, operation: "read", offset }
    )
    this.issues = normalised
    this.value = value
  }
}
