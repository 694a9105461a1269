/// <reference types="node" />
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { createDribble } from "./dribble";
import { ENDLESS_SSE_DEFAULTS, type HostileBehaviour } from "./hostile-behaviour";
import { offsetBefore } from "./offset-before";
import { serializeResponseHead } from "./response-head";

/** Everything a behaviour needs to answer one request. */
export interface BehaviourContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Origin of the hostile server, to make relative redirect targets absolute. */
  origin: string;
  /** The request's query string, parsed. */
  query: URLSearchParams;
}

// Protocol header names, spelled once. The testing package must not depend
// on the SDK, so it cannot borrow the SDK's constants.
const NEXT_OFFSET = "stream-next-offset";
const START_OFFSET = "-1";
const DEFAULT_STREAM_DATA = JSON.stringify([{ hostile: true }]);

function toBytes(body: string | Uint8Array | undefined): Buffer {
  if (body === undefined) return Buffer.alloc(0);
  return typeof body === "string" ? Buffer.from(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function sendWhole(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Buffer): void {
  res.writeHead(status, { "content-length": body.length, ...headers });
  res.end(body);
}

function sseFrame(data: string): Buffer {
  // SSE ends a field at a line break, so a multi-line payload needs one
  // data line per line to reach the client intact.
  const lines = data.split(/\r\n|\r|\n/).map((line) => `data: ${line}`);
  return Buffer.from(`event: data\n${lines.join("\n")}\n\n`);
}

function respondLater(
  { res }: BehaviourContext,
  behaviour: Extract<HostileBehaviour, { kind: "respond" }>,
): void {
  const headers: OutgoingHttpHeaders = { ...behaviour.headers };
  if (behaviour.retryAfter !== undefined) headers["retry-after"] = String(behaviour.retryAfter);
  const send = (): void => sendWhole(res, behaviour.status, headers, toBytes(behaviour.body));
  if (behaviour.delayMs === undefined || behaviour.delayMs === 0) {
    send();
    return;
  }
  const timer = setTimeout(send, behaviour.delayMs);
  res.once("close", () => clearTimeout(timer));
}

function slowHeaders(
  { req }: BehaviourContext,
  behaviour: Extract<HostileBehaviour, { kind: "slowHeaders" }>,
): void {
  const socket = req.socket;
  const body = toBytes(behaviour.body);
  const head = serializeResponseHead(behaviour.status ?? 200, {
    ...behaviour.headers,
    "content-length": body.length,
  });
  // Straight to the socket: ServerResponse would send the head in one go.
  // It is never touched for this request, so it writes nothing in between.
  const dribble = createDribble((byte) => socket.write(byte), {
    intervalMs: behaviour.intervalMs,
    onFinish: () => socket.end(body),
  });
  socket.once("close", () => dribble.cancel());
  dribble.push(head);
  dribble.end();
}

function slowBody(
  { res }: BehaviourContext,
  behaviour: Extract<HostileBehaviour, { kind: "slowBody" }>,
): void {
  const body = toBytes(behaviour.body);
  res.writeHead(behaviour.status ?? 200, { "content-length": body.length, ...behaviour.headers });
  res.flushHeaders();
  const dribble = createDribble((byte) => res.write(byte), {
    intervalMs: behaviour.intervalMs,
    onFinish: () => res.end(),
  });
  res.once("close", () => dribble.cancel());
  dribble.push(body);
  dribble.end();
}

function endlessSse(
  { res }: BehaviourContext,
  behaviour: Extract<HostileBehaviour, { kind: "endlessSse" }>,
): void {
  const frame = sseFrame(behaviour.data ?? ENDLESS_SSE_DEFAULTS.data);
  const intervalMs = behaviour.intervalMs ?? ENDLESS_SSE_DEFAULTS.intervalMs;
  const maxBytes = behaviour.maxBytes ?? ENDLESS_SSE_DEFAULTS.maxBytes;
  const stopAt = performance.now() + (behaviour.maxDurationMs ?? ENDLESS_SSE_DEFAULTS.maxDurationMs);
  let written = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  res.once("close", () => {
    stopped = true;
    clearTimeout(timer);
    clearImmediate(immediate);
  });

  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();

  const pump = (): void => {
    if (stopped) return;
    if (written + frame.length > maxBytes || performance.now() >= stopAt) {
      res.end();
      return;
    }
    written += frame.length;
    const accepted = res.write(frame);
    if (intervalMs > 0) {
      timer = setTimeout(pump, intervalMs);
    } else if (!accepted) {
      // Follow the client's pace instead of buffering without bound.
      res.once("drain", pump);
    } else {
      // One frame per turn of the event loop, so a hang-up is noticed.
      immediate = setImmediate(pump);
    }
  };
  pump();
}

/**
 * Carries out `behaviour` on one request. Whatever it leaves running (a
 * timer, a dribble, an event pump) stops when the connection closes, which
 * is how the server's `close()` ends everything at once.
 */
export function performBehaviour(context: BehaviourContext, behaviour: HostileBehaviour): void {
  const { req, res, origin, query } = context;
  switch (behaviour.kind) {
    case "respond":
      respondLater(context, behaviour);
      return;
    case "redirect": {
      const location = behaviour.location.startsWith("/") ? origin + behaviour.location : behaviour.location;
      sendWhole(res, behaviour.status, { location }, Buffer.alloc(0));
      return;
    }
    case "hang":
      return;
    case "slowHeaders":
      slowHeaders(context, behaviour);
      return;
    case "slowBody":
      slowBody(context, behaviour);
      return;
    case "noProgress":
      sendWhole(
        res,
        200,
        {
          "content-type": "application/json",
          [NEXT_OFFSET]: query.get("offset") ?? START_OFFSET,
          ...behaviour.headers,
        },
        Buffer.alloc(0),
      );
      return;
    case "regressingOffset": {
      const nextOffset = behaviour.nextOffset ?? offsetBefore(query.get("offset") ?? START_OFFSET);
      if (nextOffset === undefined) {
        sendWhole(res, 500, { "content-type": "text/plain" }, Buffer.from("hostile server: no offset sorts before the empty one"));
        return;
      }
      sendWhole(
        res,
        200,
        { "content-type": "application/json", [NEXT_OFFSET]: nextOffset, ...behaviour.headers },
        toBytes(behaviour.body ?? DEFAULT_STREAM_DATA),
      );
      return;
    }
    case "endlessSse":
      endlessSse(context, behaviour);
      return;
    case "silentSse":
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      res.flushHeaders();
      return;
    case "echo":
      sendWhole(res, behaviour.status, { "content-type": "application/json" }, Buffer.from(JSON.stringify(req.headers)));
      return;
  }
}
