import { AttemptDeadline } from "./attempt-deadline"
import {
  DurableStreamError,
  invalidArgument,
  isDurableStreamError,
  type StreamOperation,
} from "./errors"
import type { ResolvedTimeouts } from "./options"
import {
  buildUrl,
  resolveHeaders,
  resolveValues,
  type HeadersRecord,
  type ParamsRecord,
} from "./request-values"
import { Recovery } from "./recovery"
import { redactSecrets, redactUrl } from "./redact"
import { errorFromResponse } from "./response-errors"
import { discardBody, responseReader, type ResponseReader } from "./response-reader"
import type { ResolvedRetry, RetryRule } from "./retry-policy"
import { toStreamError } from "./stream-error"
import { headerValueProblem } from "./validate"

/** The subset of `fetch` the SDK calls; inject your own (tests, auth, a polyfill). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

/** What `onError` may return to retry with fresh credentials or params. */
export interface RetryWith {
  headers?: HeadersRecord
  params?: ParamsRecord
}

/**
 * Called when an operation fails for good (not retryable, or retries used
 * up). Returning `{ headers?, params? }` retries with those merged in (for
 * example a refreshed token after a 401); returning nothing fails with the
 * error.
 */
export type OnError = (
  error: DurableStreamError
) => RetryWith | void | undefined | Promise<RetryWith | void | undefined>

/** Per-handle settings every request shares (validated by `resolveStreamOptions`). */
export interface ClientContext {
  url: string
  fetch: FetchLike
  headers: HeadersRecord | undefined
  params: ParamsRecord | undefined
  retry: ResolvedRetry
  timeouts: ResolvedTimeouts
  onError: OnError | undefined
}

export interface RequestPlan<T> {
  operation: StreamOperation
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE"
  /** Protocol query parameters (offset, live, cursor). */
  params?: Record<string, string>
  /** Protocol headers for this request. */
  headers?: Record<string, string>
  /** Extra caller headers/params for this operation (e.g. read options). */
  extraHeaders?: HeadersRecord
  extraParams?: ParamsRecord
  body?: Uint8Array | string
  signal?: AbortSignal
  /**
   * Deadline for the response headers of one attempt, replacing the
   * handle's `timeouts.headersMs` (a long-poll waits longer by design).
   */
  timeoutMs?: number
  offset?: string
  sentStreamSeq?: boolean
  /** Statuses that count as success; everything else becomes an error. */
  okStatuses: readonly number[]
  /**
   * Reads the successful response (its headers; `reader` drops the body).
   * A failure here is retried like a network error.
   */
  handle: (response: Response, reader: ResponseReader) => Promise<T>
  /** Which failures may be retried (see retry-policy.ts). Default: `defaultIsRetryable`. */
  isRetryable?: RetryRule
  /** Replaces the handle's retry policy for this request (validated by the caller). */
  retry?: ResolvedRetry
}

/**
 * Runs one protocol request with retries. Success means the response had an
 * expected status AND `handle` finished reading it, so a body cut halfway is
 * a retryable failure rather than a crash or a half-delivered chunk.
 */
export async function execute<T>(
  baseContext: ClientContext,
  plan: RequestPlan<T>
): Promise<T> {
  const context = plan.retry ? { ...baseContext, retry: plan.retry } : baseContext
  const recovery = new Recovery(context, plan)
  for (;;) {
    try {
      const result = await attemptOnce(context, plan, recovery.overrides)
      recovery.succeeded()
      return result
    } catch (caught) {
      await recovery.recover(toStreamError(caught, context.url, plan))
    }
  }
}

async function attemptOnce<T>(
  context: ClientContext,
  plan: RequestPlan<T>,
  overrides: RetryWith
): Promise<T> {
  const { headers, params, secrets } = await resolveRequestValues(context, plan, overrides)
  const url = buildUrl(context.url, { ...params, ...plan.params })
  const deadline = new AttemptDeadline(plan.signal)
  try {
    deadline.arm(plan.timeoutMs ?? context.timeouts.headersMs)
    const init: RequestInit = {
      method: plan.method,
      headers,
      signal: deadline.signal,
      // Writes never follow one: fetch would turn a redirected POST into a GET, and the write would be reported stored when it was not.
      redirect: "manual",
    }
    if (plan.body !== undefined) init.body = plan.body as BodyInit
    // HEAD must see the live state: a cached HEAD could hide closure or growth.
    if (plan.method === "HEAD") init.cache = "no-store"
    const response = await context.fetch(url, init)
    if (isRedirect(response)) {
      discardBody(response)
      throw redirectError(response, context.url, plan, secrets)
    }
    if (!plan.okStatuses.includes(response.status)) {
      deadline.arm(context.timeouts.bodyIdleMs)
      throw await errorFromResponse(response, {
        url: context.url,
        operation: plan.operation,
        offset: plan.offset,
        sentStreamSeq: plan.sentStreamSeq,
        secrets,
      })
    }
    return await plan.handle(response, responseReader(response))
  } finally {
    deadline.dispose()
  }
}

/**
 * The caller's headers and params for one attempt (function values run
 * now), merged with the protocol's. A function that throws, or a value that
 * cannot be sent, fails at once: retrying would only repeat it. `secrets`
 * are the caller's header and param values, kept out of error messages.
 */
export async function resolveRequestValues(
  context: ClientContext,
  plan: Pick<RequestPlan<unknown>, "operation" | "offset" | "extraHeaders" | "extraParams" | "headers">,
  overrides: RetryWith
): Promise<{ headers: Record<string, string>; params: Record<string, string>; secrets: string[] }> {
  const where = { url: context.url, operation: plan.operation, offset: plan.offset }
  const [headers, params] = await Promise.all([
    resolveHeaders(context.headers, plan.extraHeaders, overrides.headers),
    resolveValues(context.params, plan.extraParams, overrides.params),
  ]).catch((caught: unknown) => {
    throw isDurableStreamError(caught)
      ? caught
      : new DurableStreamError(
          "CALLBACK_FAILED",
          `${plan.operation} of stream ${context.url}: a header or param function threw (see cause)`,
          { ...where, cause: caught }
        )
  })
  for (const name of Object.keys(headers)) {
    const problem = headerValueProblem(name, headers[name])
    if (problem) throw invalidArgument(context.url, problem, plan.operation)
  }
  for (const name of Object.keys(params)) {
    if (typeof params[name] !== "string") {
      throw invalidArgument(context.url, `params.${name} function must return a string`, plan.operation)
    }
  }
  const secrets = [...Object.values(headers), ...Object.values(params)]
  // Protocol headers win; names are compared case-insensitively.
  for (const [name, value] of Object.entries(plan.headers ?? {})) headers[name.toLowerCase()] = value
  return { headers, params, secrets }
}

/**
 * A redirect we must not follow: a 3xx seen with `redirect: "manual"`
 * (browsers show it as an opaque response with status 0), or one fetch
 * followed anyway (runtimes that ignore `redirect`).
 */
export function isRedirect(response: Response, follow?: boolean): boolean {
  if (follow) return false
  return (
    response.type === "opaqueredirect" ||
    (response.status >= 300 && response.status < 400 && response.status !== 304) ||
    response.redirected === true
  )
}

export function redirectError(
  response: Response,
  url: string,
  plan: Pick<RequestPlan<unknown>, "method" | "operation" | "offset">,
  secrets: readonly string[]
): DurableStreamError {
  const raw = response.headers.get("Location") ?? (response.redirected ? response.url : undefined) ?? undefined
  // A signed or token-carrying Location must not leak what we sent.
  const location = raw === undefined ? undefined : redactSecrets(redactUrl(raw), secrets)
  const status = response.status === 0 ? "a redirect" : `a ${response.status} redirect`
  const target = location ? ` to ${location}` : ""
  const why =
    plan.method === "GET" || plan.method === "HEAD"
      ? "reads follow redirects only with followRedirects: true"
      : "a write is never sent on after a redirect, because fetch would turn it into a GET and nothing would be stored"
  return new DurableStreamError(
    "REDIRECTED",
    `${plan.operation} of stream ${url} got ${status}${target}; ${why}. Point the client at the final URL.`,
    {
      url,
      operation: plan.operation,
      offset: plan.offset,
      status: response.status === 0 ? undefined : response.status,
      // No raw response headers: Location may carry what `location` redacts.
      location,
    }
  )
}
