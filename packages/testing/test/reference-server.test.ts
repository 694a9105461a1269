import { get } from "node:http";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReferenceServer, type ReferenceServer } from "../src/index";

const TEXT = { "content-type": "text/plain" };

// Whether something can bind the port again: the real test of "released".
function canListenOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

interface PollResult {
  status: number | undefined;
  body: string;
}

/**
 * A long-poll over node:http (keep-alive by default on Node 20, like fetch),
 * because unlike fetch it tells us when the request has left the client.
 */
function startLongPoll(url: string): { sent: Promise<void>; result: Promise<PollResult | Error> } {
  let markSent: () => void = () => {};
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const result = new Promise<PollResult | Error>((resolve) => {
    const request = get(url, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, body }));
      response.on("error", resolve);
    });
    request.on("finish", markSent);
    request.on("error", resolve);
  });
  return { sent, result };
}

describe("startReferenceServer", () => {
  let ref: ReferenceServer;

  beforeAll(async () => {
    ref = await startReferenceServer();
  });
  afterAll(async () => {
    await ref.stop();
  });

  it("listens on an ephemeral loopback port", () => {
    const url = new URL(ref.url);
    expect(url.hostname).toBe("127.0.0.1");
    // Not the server's undocumented fallback port.
    expect(url.port).not.toBe("4437");
    expect(Number(url.port)).toBeGreaterThan(0);
  });

  it("hands out a fresh stream URL per call, or the named one", () => {
    const a = ref.streamUrl();
    const b = ref.streamUrl();
    expect(a).not.toBe(b);
    expect(a.startsWith(`${ref.url}/v1/stream/`)).toBe(true);
    expect(ref.streamUrl("orders")).toBe(`${ref.url}/v1/stream/orders`);
  });

  it("round-trips PUT, POST and GET with plain fetch", async () => {
    const url = ref.streamUrl();

    const created = await fetch(url, { method: "PUT", headers: TEXT });
    expect(created.status).toBe(201);

    const appended = await fetch(url, { method: "POST", headers: TEXT, body: "hello " });
    expect(appended.status).toBe(204);
    const second = await fetch(url, { method: "POST", headers: TEXT, body: "world" });
    const tail = second.headers.get("stream-next-offset");
    expect(tail).toBeTruthy();

    const read = await fetch(`${url}?offset=-1`);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe("hello world");
    expect(read.headers.get("stream-next-offset")).toBe(tail);
  });

  it("answers a caught-up long-poll after the short test timeout", async () => {
    const url = ref.streamUrl();
    const created = await fetch(url, { method: "PUT", headers: TEXT });
    const offset = created.headers.get("stream-next-offset") ?? "";

    const started = performance.now();
    const poll = await fetch(`${url}?offset=${offset}&live=long-poll`);
    const elapsed = performance.now() - started;

    expect(poll.status).toBe(204);
    // 500 ms by default rather than the server's own 30 s.
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(5_000);
  });

  it("injects a server-side fault for the stream path only, once", async () => {
    const url = ref.streamUrl();
    const other = ref.streamUrl();
    await fetch(url, { method: "PUT", headers: TEXT });
    await fetch(other, { method: "PUT", headers: TEXT });

    ref.injectFault(`${url}?offset=-1`, { status: 503, retryAfter: 2 });

    const untouched = await fetch(`${other}?offset=-1`);
    expect(untouched.status).toBe(200);

    const faulted = await fetch(`${url}?offset=-1`);
    expect(faulted.status).toBe(503);
    expect(faulted.headers.get("retry-after")).toBe("2");
    await faulted.body?.cancel();

    const recovered = await fetch(`${url}?offset=-1`);
    expect(recovered.status).toBe(200);
  });
});

describe("stopping the reference server", () => {
  it("releases its port and can be stopped twice", async () => {
    const ref = await startReferenceServer();
    const port = Number(new URL(ref.url).port);
    const url = ref.streamUrl();
    expect((await fetch(url, { method: "PUT", headers: TEXT })).status).toBe(201);
    expect(await canListenOn(port)).toBe(false);

    await ref.stop();
    await ref.stop();

    expect(await canListenOn(port)).toBe(true);
    await expect(fetch(url, { method: "HEAD" })).rejects.toThrow();
  });

  it("stops promptly while a long-poll is in flight", async () => {
    const ref = await startReferenceServer({ longPollTimeoutMs: 20_000 });
    const url = ref.streamUrl();
    const created = await fetch(url, { method: "PUT", headers: TEXT });
    const offset = created.headers.get("stream-next-offset") ?? "";
    const poll = startLongPoll(`${url}?offset=${offset}&live=long-poll`);
    await poll.sent;
    // The server shares this process; let it read the request and park it.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const started = performance.now();
    await ref.stop();
    // The keep-alive socket the long-poll used would otherwise hold close()
    // for seconds.
    expect(performance.now() - started).toBeLessThan(1_500);
    // The server releases waiting long-polls with an empty 200 on shutdown.
    expect(await poll.result).toEqual({ status: 200, body: "" });
  });
});
