/// <reference types="node" />
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the
// message. Passing them through would make Node frame the proxied message
// with the other side's framing (e.g. a stale `transfer-encoding: chunked`),
// so they are dropped and Node re-frames each side on its own.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Copies end-to-end headers, minus hop-by-hop ones and any named in `Connection`. */
export function endToEndHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const connectionListed = new Set(
    (headers.connection ?? "")
      .split(",")
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== ""),
  );
  const result: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (HOP_BY_HOP.has(name) || connectionListed.has(name)) continue;
    result[name] = value;
  }
  return result;
}
