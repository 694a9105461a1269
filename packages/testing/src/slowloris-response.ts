/// <reference types="node" />
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { createDribble } from "./dribble";
import { serializeResponseHead } from "./response-head";

export interface SlowlorisResponseOptions {
  /** The client's request and response, on the proxy's side. */
  req: IncomingMessage;
  res: ServerResponse;
  /** The target's answer, to be passed on slowly. */
  upstreamRes: IncomingMessage;
  status: number;
  /** Headers to send, already stripped of hop-by-hop ones. */
  headers: OutgoingHttpHeaders;
  /** True when the answer cannot carry a body (HEAD, 204, 304, length 0). */
  bodiless: boolean;
  /** True for the answer to a HEAD request, whose length header describes a body never sent. */
  isHead: boolean;
  intervalMs: number;
}

// How much of the target's body may wait in the dribble before the target is
// paused. At a byte every few seconds the backlog never drains in a test, so
// without a cap an SSE answer would pile up in memory for as long as it runs.
const MAX_BACKLOG_BYTES = 64 * 1024;

/**
 * Writes the head itself one byte per interval, straight to the socket, for
 * an answer with no body to slow down. ServerResponse would send the head in
 * one piece, so it is never used for this response.
 */
function dribbleHead(options: SlowlorisResponseOptions): void {
  const { req, upstreamRes, status, isHead, intervalMs } = options;
  upstreamRes.resume();
  const headers = { ...options.headers };
  // The body is known to be empty; say so, unless a HEAD's length describes
  // the GET body or the status forbids a body anyway.
  if (!isHead && status !== 204 && status !== 304 && headers["content-length"] === undefined) {
    headers["content-length"] = 0;
  }
  const socket = req.socket;
  const dribble = createDribble((byte) => socket.write(byte), {
    intervalMs,
    onFinish: () => socket.end(),
  });
  socket.once("close", () => dribble.cancel());
  dribble.push(serializeResponseHead(status, headers));
  dribble.end();
}

/** Sends the head at once, then the body one byte per interval as it arrives from the target. */
function dribbleBody(options: SlowlorisResponseOptions, firstChunk: Buffer): void {
  const { res, upstreamRes, status, headers, intervalMs } = options;
  res.writeHead(status, headers);
  res.flushHeaders();
  const dribble = createDribble((byte) => res.write(byte), {
    intervalMs,
    onFinish: () => res.end(),
    onDrained: () => upstreamRes.resume(),
  });
  res.once("close", () => dribble.cancel());
  const take = (chunk: Buffer): void => {
    dribble.push(chunk);
    if (dribble.backlog > MAX_BACKLOG_BYTES) upstreamRes.pause();
  };
  take(firstChunk);
  upstreamRes.on("data", take);
  upstreamRes.once("end", () => dribble.end());
}

/**
 * Passes the target's answer on at a slowloris pace: the body a byte at a
 * time when there is one, else the status line and headers a byte at a
 * time. Whether a body exists is only known for sure once its first byte or
 * its end arrives (a chunked answer may be empty, like the reference
 * server's 200 to a producer append), so nothing is sent before that.
 */
export function sendSlowlorisResponse(options: SlowlorisResponseOptions): void {
  const { upstreamRes, bodiless } = options;
  if (bodiless) {
    dribbleHead(options);
    return;
  }
  const onFirstData = (chunk: Buffer): void => {
    upstreamRes.off("end", onEmptyEnd);
    dribbleBody(options, chunk);
  };
  const onEmptyEnd = (): void => {
    upstreamRes.off("data", onFirstData);
    dribbleHead(options);
  };
  upstreamRes.once("data", onFirstData);
  upstreamRes.once("end", onEmptyEnd);
}
