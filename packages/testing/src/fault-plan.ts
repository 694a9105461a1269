/**
 * The failures the fault proxy can inflict on one request. At most one of
 * these happens per request; a delay (see `FaultPlan.delay`) can come on top.
 */
export type FaultKind =
  /** Read part of the request body, then cut the connection. Never forwarded. */
  | "dropDuringRequest"
  /** Forward, send status, headers and part of the body, then cut the connection. */
  | "dropDuringResponse"
  /** Forward and let the server apply it, then cut the connection before any response byte. */
  | "dropBeforeResponse"
  /** Answer 503 without forwarding. */
  | "unavailable"
  /** Answer 429 with `Retry-After` without forwarding. */
  | "rateLimited"
  /**
   * Never answer: hold the connection open with not one response byte until
   * the client hangs up or the proxy stops, far longer than any sensible
   * client timeout. Forwarded first by default (see `FaultPlan.forwardBeforeHang`).
   */
  | "hang"
  /**
   * Forward, then deliver the answer one byte every `slowlorisIntervalMs`:
   * the body when it has one (status and headers go out at once), otherwise
   * the status line and headers themselves.
   */
  | "slowloris";

/** Every fault kind, in the order the proxy draws them. */
export const FAULT_KINDS: readonly FaultKind[] = [
  "dropDuringRequest",
  "dropDuringResponse",
  "dropBeforeResponse",
  "unavailable",
  "rateLimited",
  // New kinds go last: a plan without them then draws exactly as before, so
  // seeds recorded for older plans replay the same faults.
  "hang",
  "slowloris",
];

/**
 * Per-request fault probabilities. Everything is optional; the empty plan
 * forwards every request untouched.
 */
export interface FaultPlan {
  /** Probability (0..1) of each failure; their sum must not exceed 1. */
  dropDuringRequest?: number;
  dropDuringResponse?: number;
  dropBeforeResponse?: number;
  unavailable?: number;
  rateLimited?: number;
  hang?: number;
  slowloris?: number;
  /** Probability (0..1) of holding the request before handling it, independent of the failures above. */
  delay?: number;
  /** Inclusive range for an injected delay. Default 5..50 ms. */
  delayMs?: { min: number; max: number };
  /** `Retry-After` seconds on injected 429s. Default 0 so retrying tests stay fast. */
  retryAfterSeconds?: number;
  /**
   * Whether a `hang` forwards the request before going silent. Forwarding is
   * the nastier case for writes: the server applies the append, the client
   * never learns it and must resend it. Default true.
   */
  forwardBeforeHang?: boolean;
  /**
   * Gap between two bytes of a `slowloris` answer. Default 2 000 ms: a
   * client whose idle timer fires before that sees a response that stalls
   * right after the headers (or inside them); a shorter gap tests a client
   * whose timer is reset by every byte.
   */
  slowlorisIntervalMs?: number;
  /**
   * Response body bytes that get through before a `dropDuringResponse` cut.
   * Default: half the declared length, or half the first chunk when the
   * length is unknown (chunked, SSE). Always at least one byte short of a
   * declared length, so the cut is observable.
   */
  responseBytesBeforeDrop?: number;
  /**
   * Only requests with these methods (case-insensitive) are eligible for any
   * fault, delays included; others pass through and do not advance the PRNG,
   * so the fault sequence of eligible requests does not depend on them.
   */
  methods?: readonly string[];
  /**
   * Stop injecting failures after this many (delays do not count: they slow
   * requests down but never fail them). Resets whenever a plan is set.
   */
  maxFaults?: number;
}

/** What the proxy does to one request. */
export interface FaultDecision {
  kind: FaultKind | undefined;
  /** 0 when no delay was drawn. */
  delayMs: number;
}

const DEFAULT_DELAY_MS = { min: 5, max: 50 } as const;

export const DEFAULT_SLOWLORIS_INTERVAL_MS = 2_000;

function checkProbability(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new RangeError(`FaultPlan.${name} must be within 0..1, got ${value}`);
  }
}

function checkNonNegativeInteger(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`FaultPlan.${name} must be a non-negative integer, got ${value}`);
  }
}

/** Rejects plans that would silently behave differently from what they say. */
export function validateFaultPlan(plan: FaultPlan): void {
  let total = 0;
  for (const kind of FAULT_KINDS) {
    checkProbability(kind, plan[kind]);
    total += plan[kind] ?? 0;
  }
  // A small tolerance so plans like 0.1 + 0.2 + 0.7 are accepted.
  if (total > 1 + 1e-9) {
    throw new RangeError(`FaultPlan failure probabilities sum to ${total}, which exceeds 1`);
  }
  checkProbability("delay", plan.delay);
  checkNonNegativeInteger("retryAfterSeconds", plan.retryAfterSeconds);
  checkNonNegativeInteger("responseBytesBeforeDrop", plan.responseBytesBeforeDrop);
  checkNonNegativeInteger("maxFaults", plan.maxFaults);
  checkNonNegativeInteger("slowlorisIntervalMs", plan.slowlorisIntervalMs);
  if (plan.forwardBeforeHang !== undefined && typeof plan.forwardBeforeHang !== "boolean") {
    throw new TypeError(`FaultPlan.forwardBeforeHang must be a boolean, got ${String(plan.forwardBeforeHang)}`);
  }
  if (plan.delayMs !== undefined) {
    checkNonNegativeInteger("delayMs.min", plan.delayMs.min);
    checkNonNegativeInteger("delayMs.max", plan.delayMs.max);
    if (plan.delayMs.max < plan.delayMs.min) {
      throw new RangeError(`FaultPlan.delayMs.max must be >= delayMs.min`);
    }
  }
}

export function isEligible(plan: FaultPlan, method: string): boolean {
  if (plan.methods === undefined) return true;
  const upper = method.toUpperCase();
  return plan.methods.some((m) => m.toUpperCase() === upper);
}

/**
 * Decides the fate of one eligible request. It always consumes exactly three
 * draws, whatever the outcome, so request N sees the same draws for a given
 * seed even if the plan's probabilities or remaining budget differ.
 */
export function decideFault(
  plan: FaultPlan,
  random: () => number,
  failuresLeft: boolean,
): FaultDecision {
  const failureDraw = random();
  const delayDraw = random();
  const delayAmountDraw = random();

  let kind: FaultKind | undefined;
  if (failuresLeft) {
    let threshold = 0;
    for (const candidate of FAULT_KINDS) {
      threshold += plan[candidate] ?? 0;
      if (failureDraw < threshold) {
        kind = candidate;
        break;
      }
    }
  }

  let delayMs = 0;
  if (delayDraw < (plan.delay ?? 0)) {
    const { min, max } = plan.delayMs ?? DEFAULT_DELAY_MS;
    delayMs = min + Math.floor(delayAmountDraw * (max - min + 1));
  }
  return { kind, delayMs };
}
