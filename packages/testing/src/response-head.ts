/// <reference types="node" />
import { STATUS_CODES, type OutgoingHttpHeaders } from "node:http";

/**
 * The bytes of an HTTP/1.1 status line and header block, ending in the blank
 * line. For writing a response straight to a socket, where Node's
 * ServerResponse would send the whole head in one piece and so cannot be
 * slowed down byte by byte.
 *
 * Always declares `connection: close`: a response written past Node's HTTP
 * machinery leaves that machinery's view of the connection stale, so the
 * connection must not be reused afterwards.
 */
export function serializeResponseHead(status: number, headers: OutgoingHttpHeaders): Uint8Array {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}`];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || name.toLowerCase() === "connection") continue;
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
  }
  lines.push("connection: close");
  return new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`);
}
