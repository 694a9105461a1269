import { DurableStreamError } from "@durable-client/bytes"
import type { StandardSchemaV1 } from "@standard-schema/spec"

/** One schema complaint, with the path into the value as plain keys. */
export interface ValidationIssue {
  message: string
  path: PropertyKey[]
}

/**
 * A value read from the stream failed the caller's schema. Carries the
 * stream URL, the offset of the batch it came in (resume from `offset` of the
 * session to skip nothing) and every issue with its path.
 */
export class ValidationError extends DurableStreamError {
  override readonly name = "DurableStreamError"
  readonly issues: ValidationIssue[]
  readonly value: unknown

  constructor(
    url: string,
    offset: string | undefined,
    issues: ReadonlyArray<StandardSchemaV1.Issue>,
    value: unknown
  ) {
    const normalised = issues.map((issue) => ({
      message: issue.message,
      path: (issue.path ?? []).map((segment) =>
        typeof segment === "object" && segment !== null ? segment.key : segment
      ),
    }))
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
