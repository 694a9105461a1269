/// <reference types="node" />
// Message bodies through the fault proxy: which messages carry one, and
// cutting one part-way so the client sees a real truncation.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { FaultPlan } from "./fault-plan";

function declaredLength(response: IncomingMessage): number | undefined {
  const raw = response.headers["content-length"];
  if (raw === undefined) return undefined;
  const length = Number(raw);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

export function hasNoBody(method: string, response: IncomingMessage): boolean {
  const status = response.statusCode ?? 0;
  return (
    method === "HEAD" ||
    status === 204 ||
    status === 304 ||
    (status >= 100 && status < 200) ||
    declaredLength(response) === 0
  );
}

function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return (
    (length !== undefined && length !== "0") ||
    req.headers["transfer-encoding"] !== undefined
  );
}

/**
 * Cuts a connection after what was already written has left, so the client
 * sees exactly the headers and partial body we meant it to see. A bare
 * destroy() could discard data still queued in the socket.
 */
function hangUpAfterFlush(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end(() => socket.destroy());
}

/**
 * Forwards part of a response body, then hangs up: the configured byte budget,
 * else half the declared length, else half the first chunk.
 */
export function truncateBody(
  req: IncomingMessage,
  res: ServerResponse,
  upstreamRes: IncomingMessage,
  activePlan: FaultPlan,
  abandon: () => void,
): void {
  const declared = declaredLength(upstreamRes);
  let budget =
    activePlan.responseBytesBeforeDrop ??
    (declared === undefined ? undefined : Math.floor(declared / 2));
  if (budget !== undefined && declared !== undefined) {
    // Delivering every declared byte would not be a cut at all.
    budget = Math.min(budget, declared - 1);
  }
  let sent = 0;
  let cut = false;
  const hangUp = (): void => {
    cut = true;
    abandon();
    hangUpAfterFlush(req.socket);
  };

  upstreamRes.on("data", (chunk: Buffer) => {
    if (cut) return;
    // Unknown length and no configured budget: let half the first chunk through.
    budget ??= Math.floor(chunk.length / 2);
    const room = budget - sent;
    if (chunk.length < room) {
      sent += chunk.length;
      if (!res.write(chunk)) {
        upstreamRes.pause();
        res.once("drain", () => upstreamRes.resume());
      }
      return;
    }
    if (room > 0) res.write(chunk.subarray(0, room));
    hangUp();
  });
  // Body ended before the budget ran out: still withhold the end of the
  // message (the final chunk or the missing length), so the cut shows.
  upstreamRes.on("end", () => {
    if (!cut) hangUp();
  });
}

/** Cuts the connection part-way through the request body (or at once if there is none). */
export function dropDuringRequest(req: IncomingMessage): void {
  const socket = req.socket;
  if (!requestHasBody(req)) {
    socket.destroy();
    return;
  }
  // Wait for the first piece of the body so the upload is really cut
  // part-way rather than before it began.
  req.once("data", () => socket.destroy());
  req.once("end", () => socket.destroy());
}
