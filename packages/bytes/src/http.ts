import { AbortReason, isAbortError, linkedController, sleep } from "./abort"
import {
  DurableStreamError,
  isDurableStreamError,
  type StreamOperation,
} from "./errors"
import {
  buildUrl,
  resolveHeaders,
  resolveValues,
  type HeadersRecord,
  type ParamsRecord,
} from "./request-values"
import { errorFromResponse } from "./response-errors"
import { backoffDelay, isRetryableStatus, type ResolvedRetry } from "./retry"

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

/** Per-handle settings every request shares. */
export interface ClientContext {
  url: string
  fetch: FetchLike
  headers: HeadersRecord | undefined
  params: ParamsRecord | undefined
  retry: ResolvedRetry
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
  /** Aborts a single attempt that takes longer; reported as TIMEOUT. */
  timeoutMs?: number
  offset?: string
  sentStreamSeq?: boolean
  /** Statuses that count as success; everything else becomes an error. */
  okStatuses: readonly number[]
  /** Reads the successful response; a failure here (a cut body) is retried like a network error. */
  handle: (response: Response) => Promise<T>
  /** Which failures may be retried. Default: network, timeout, 429, 5xx but 501. */
  isRetryable?: (error: DurableStreamError) => boolean
  /** Replaces the handle's retry policy for this request (validated by the caller). */
  retry?: ResolvedRetry
  /**
   * A client-side timeout just means "ask again" (long-poll, RD-25): reissue
   * at once without using up the retry budget.
   */
  reissueOnTimeout?: boolean
  /**
   * Whether a successful response resets the retry budget. SSE says no: a
   * connection that opens and then dies is not progress; its control events are.
   */
  successResetsRetries?: boolean
}

export function defaultIsRetryable(error: DurableStreamError): boolean {
  if (error.code === "NETWORK" || error.code === "TIMEOUT") return true
  return error.status !== undefined && isRetryableStatus(error.status)
}

/**
 * Decides what happens after a failure: wait and retry (retryable, budget
 * left), retry at once with what `onError` returned, or give up. One
 * instance lives as long as a read session, so `onError` overrides (a
 * refreshed token) apply to every later request of that session.
 */
export class Recovery {
  attempt = 0
  /** `onError` rescues since the last success: after the first, they back off too. */
  private rescues = 0
  readonly overrides: RetryWith = {}

  constructor(
    private readonly context: ClientContext,
    private readonly options: {
      isRetryable?: (error: DurableStreamError) => boolean
      onBackoff?: (error: DurableStreamError, delayMs: number) => void
      onError?: OnError
      signal?: AbortSignal
    } = {}
  ) {}

  /** Resolves when the caller should try again; rejects with the final error. */
  async recover(error: DurableStreamError): Promise<void> {
    if (error.code === "ABORTED") throw error
    const isRetryable = this.options.isRetryable ?? defaultIsRetryable
    if (isRetryable(error) && this.attempt < this.context.retry.maxRetries) {
      await this.wait(error, backoffDelay(this.context.retry, this.attempt, error.retryAfterMs))
      this.attempt++
      return
    }
    const onError = this.options.onError ?? this.context.onError
    const decision = onError ? await onError(error) : undefined
    if (decision && typeof decision === "object") {
      if (decision.headers) this.overrides.headers = { ...this.overrides.headers, ...decision.headers }
      if (decision.params) this.overrides.params = { ...this.overrides.params, ...decision.params }
      this.attempt = 0
      // A refreshed token should work at once; if it keeps failing, don't spin.
      if (this.rescues > 0) await this.wait(error, backoffDelay(this.context.retry, this.rescues - 1))
      this.rescues++
      return
    }
    throw error
  }

  succeeded(): void {
    this.attempt = 0
    this.rescues = 0
  }

  private async wait(error: DurableStreamError, delay: number): Promise<void> {
    this.options.onBackoff?.(error, delay)
    try {
      await sleep(delay, this.options.signal)
    } catch (caught) {
      throw toStreamError(caught, this.context.url, {
        operation: error.operation ?? "read",
        offset: error.offset,
        signal: this.options.signal,
      })
    }
  }
}

/**
 * Runs one protocol request with retries. Success means the response had an
 * expected status AND `handle` finished reading it, so a body cut halfway is
 * a retryable failure rather than a crash or a half-delivered chunk.
 */
export async function execute<T>(
  baseContext: ClientContext,
  plan: RequestPlan<T>,
  recovery?: Recovery
): Promise<T> {
  const context = plan.retry ? { ...baseContext, retry: plan.retry } : baseContext
  recovery ??= new Recovery(context, plan)
  for (;;) {
    try {
      const result = await attemptOnce(context, plan, recovery.overrides)
      if (plan.successResetsRetries !== false) recovery.succeeded()
      return result
    } catch (caught) {
      const error = toStreamError(caught, context.url, plan)
      if (plan.reissueOnTimeout && error.code === "TIMEOUT") continue
      await recovery.recover(error)
    }
  }
}

async function attemptOnce<T>(
  context: ClientContext,
  plan: RequestPlan<T>,
  overrides: RetryWith
): Promise<T> {
  const [headers, params] = await Promise.all([
    resolveHeaders(context.headers, plan.extraHeaders, overrides.headers),
    resolveValues(context.params, plan.extraParams, overrides.params),
  ])
  // Protocol headers win; names are compared case-insensitively.
  for (const [name, value] of Object.entries(plan.headers ?? {})) headers[name.toLowerCase()] = value
  const url = buildUrl(context.url, { ...params, ...plan.params })

  // Without a timeout the caller's signal goes to fetch as is, so it keeps
  // governing a body that is still streaming after we return (SSE).
  let signal = plan.signal
  let timer: ReturnType<typeof setTimeout> | undefined
  let dispose = (): void => undefined
  if (plan.timeoutMs !== undefined) {
    const timeout = new AbortController()
    const linked = linkedController(plan.signal, timeout.signal)
    signal = linked.controller.signal
    dispose = linked.dispose
    timer = setTimeout(() => timeout.abort(new AbortReason("timeout")), plan.timeoutMs)
  }
  try {
    const init: RequestInit = { method: plan.method, headers }
    if (signal) init.signal = signal
    if (plan.body !== undefined) init.body = plan.body as BodyInit
    // HEAD must see the live state: a cached HEAD could hide closure or growth.
    if (plan.method === "HEAD") init.cache = "no-store"
    const response = await context.fetch(url, init)
    if (!plan.okStatuses.includes(response.status)) {
      throw await errorFromResponse(response, {
        url: context.url,
        operation: plan.operation,
        offset: plan.offset,
        sentStreamSeq: plan.sentStreamSeq,
      })
    }
    return await plan.handle(response)
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    dispose()
  }
}

/** Normalises anything thrown during a request into a DurableStreamError. */
export function toStreamError(
  caught: unknown,
  url: string,
  plan: { operation: StreamOperation; offset?: string; signal?: AbortSignal }
): DurableStreamError {
  if (isDurableStreamError(caught)) return caught
  const base = { url, operation: plan.operation, offset: plan.offset, cause: caught }
  if (plan.signal?.aborted) {
    return new DurableStreamError("ABORTED", `${plan.operation} of stream ${url} was aborted`, base)
  }
  if (caught instanceof AbortReason && caught.kind === "timeout") {
    return new DurableStreamError("TIMEOUT", `${plan.operation} of stream ${url} timed out`, base)
  }
  if (isAbortError(caught)) {
    // Aborted by something other than our caller (e.g. our per-attempt timer).
    return new DurableStreamError("TIMEOUT", `${plan.operation} of stream ${url} timed out`, base)
  }
  const reason = caught instanceof Error ? caught.message : String(caught)
  return new DurableStreamError(
    "NETWORK",
    `${plan.operation} of stream ${url} failed: network error (${reason})`,
    base
  )
}
