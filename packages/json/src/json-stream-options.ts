import { describeValue, invalidArgument, isJsonContentType, optionsObject } from "@durable-client/bytes/internal"
import type { StandardSchemaV1 } from "@standard-schema/spec"
import { JSON_DEFAULTS } from "./defaults"
import { isStandardSchema } from "./schema-validation"

/** What the JSON layer adds to a handle's settings, after validation and defaults. */
export interface ResolvedJsonStreamOptions<T> {
  contentType: string
  schema: StandardSchemaV1<unknown, T> | undefined
}

/**
 * The one place a JsonStream's own options are checked and defaulted (the
 * byte handle's options are the bytes layer's: `resolveStreamOptions`).
 * `knownContentType` is the byte handle's when `JsonStream.from` wraps one.
 */
export function resolveJsonStreamOptions<T>(
  url: string,
  given: { contentType?: unknown; schema?: unknown } | undefined,
  knownContentType: string | undefined
): ResolvedJsonStreamOptions<T> {
  const options = optionsObject(url, given, "options")
  const contentType = options.contentType ?? knownContentType ?? JSON_DEFAULTS.contentType
  if (typeof contentType !== "string" || !isJsonContentType(contentType)) {
    throw invalidArgument(
      url,
      `a JSON stream needs an application/json content type (got ${typeof contentType === "string" ? contentType : describeValue(contentType)})`
    )
  }
  const schema = options.schema
  if (schema !== undefined && !isStandardSchema(schema)) {
    throw invalidArgument(url, `schema must be a Standard Schema (Zod, Valibot, ArkType, …) (got ${describeValue(schema)})`)
  }
  return { contentType, schema: schema as StandardSchemaV1<unknown, T> | undefined }
}
