/// <reference types="node" />
import type { OutgoingHttpHeaders } from "node:http";

/** Redirect statuses a hostile server can answer with. */
export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

/**
 * What the hostile server does with one request. Every behaviour that writes
 * over time stops by itself (a byte count, a duration or the end of a fixed
 * body) and at once when the client hangs up or the server closes.
 */
export type HostileBehaviour =
  /**
   * An ordinary answer. `retryAfter` sets `Retry-After` (seconds, or any
   * string such as an HTTP date); `delayMs` holds the answer back first.
   */
  | {
      kind: "respond";
      status: number;
      headers?: OutgoingHttpHeaders;
      body?: string | Uint8Array;
      retryAfter?: number | string;
      delayMs?: number;
    }
  /**
   * A 3xx with `Location`. A location starting with `/` is made absolute on
   * this server, so it can point at another scripted path; other values are
   * sent as they are.
   */
  | { kind: "redirect"; status: RedirectStatus; location: string }
  /** Reads the request, then sends nothing at all until the client or the server closes. */
  | { kind: "hang" }
  /**
   * Writes the status line and headers straight to the socket one byte per
   * `intervalMs`, then `body` at once, then closes the connection.
   */
  | {
      kind: "slowHeaders";
      intervalMs: number;
      status?: number;
      headers?: OutgoingHttpHeaders;
      body?: string | Uint8Array;
    }
  /** Sends status and headers at once (with the body's length), then the body one byte per `intervalMs`. */
  | {
      kind: "slowBody";
      intervalMs: number;
      body: string | Uint8Array;
      status?: number;
      headers?: OutgoingHttpHeaders;
    }
  /**
   * 200 with an empty body whose `Stream-Next-Offset` is the request's own
   * `offset` query parameter, and no `Stream-Up-To-Date`: a read that claims
   * there is more but never gets anywhere.
   */
  | { kind: "noProgress"; headers?: OutgoingHttpHeaders }
  /**
   * 200 with `body` and a `Stream-Next-Offset` that sorts before the
   * requested `offset`. `nextOffset` picks it; by default it is derived
   * from the request (see `offsetBefore`).
   */
  | {
      kind: "regressingOffset";
      body?: string | Uint8Array;
      nextOffset?: string;
      headers?: OutgoingHttpHeaders;
    }
  /**
   * A `text/event-stream` of `event: data` events, never a `control` event,
   * written as fast as the client reads (or one per `intervalMs`) until
   * `maxBytes` or `maxDurationMs` is reached, then the response ends.
   */
  | {
      kind: "endlessSse";
      /** Payload of each event. Default: a JSON array holding one 1 KiB string. */
      data?: string;
      /** @default 0 */
      intervalMs?: number;
      /** @default 64 MiB */
      maxBytes?: number;
      /** @default 30 000 */
      maxDurationMs?: number;
    }
  /** SSE headers, then silence until the client or the server closes. */
  | { kind: "silentSse" }
  /**
   * A 4xx or 5xx whose JSON body is the request's headers, so a test can
   * check that a secret sent in a header never ends up in an error message.
   */
  | { kind: "echo"; status: number };

/** The `kind` of a hostile behaviour. */
export type HostileBehaviourKind = HostileBehaviour["kind"];

/** Limits of an `endlessSse` behaviour where the script leaves them out. */
export const ENDLESS_SSE_DEFAULTS = Object.freeze({
  data: JSON.stringify(["x".repeat(1024)]),
  intervalMs: 0,
  maxBytes: 64 * 1024 * 1024,
  maxDurationMs: 30_000,
});

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

function checkNonNegative(kind: string, name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`hostile behaviour ${kind}: ${name} must be a non-negative number, got ${value}`);
  }
}

function checkStatus(kind: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`hostile behaviour ${kind}: status must be an integer in ${min}..${max}, got ${value}`);
  }
}

/** Rejects behaviours that could not do what they say, when they are scripted rather than mid-request. */
export function validateBehaviour(behaviour: HostileBehaviour): void {
  const { kind } = behaviour;
  switch (behaviour.kind) {
    case "respond":
      checkStatus(kind, behaviour.status, 200, 599);
      checkNonNegative(kind, "delayMs", behaviour.delayMs);
      return;
    case "redirect":
      if (!REDIRECT_STATUSES.has(behaviour.status)) {
        throw new RangeError(`hostile behaviour redirect: status must be 301, 302, 303, 307 or 308, got ${behaviour.status}`);
      }
      return;
    case "slowHeaders":
    case "slowBody":
      checkNonNegative(kind, "intervalMs", behaviour.intervalMs);
      checkStatus(kind, behaviour.status, 200, 599);
      return;
    case "endlessSse":
      checkNonNegative(kind, "intervalMs", behaviour.intervalMs);
      checkNonNegative(kind, "maxBytes", behaviour.maxBytes);
      checkNonNegative(kind, "maxDurationMs", behaviour.maxDurationMs);
      return;
    case "echo":
      checkStatus(kind, behaviour.status, 400, 599);
      return;
    case "hang":
    case "noProgress":
    case "regressingOffset":
    case "silentSse":
      return;
  }
}
