import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startHostileServer, type HostileServer } from "../src/index";

const servers: HostileServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function hostile(): Promise<HostileServer> {
  const server = await startHostileServer();
  servers.push(server);
  return server;
}

/** A raw client connection, to see exactly which bytes arrive and when. */
interface RawClient {
  socket: Socket;
  /** Every chunk received, in order. */
  chunks: Buffer[];
  received(): string;
  /** Resolves once the received text contains `needle`. */
  waitForText(needle: string): Promise<void>;
  /** Resolves when the server closes the connection. */
  closed: Promise<void>;
}

async function rawRequest(server: HostileServer, head: string): Promise<RawClient> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const chunks: Buffer[] = [];
  const listeners = new Set<() => void>();
  socket.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    for (const listener of listeners) listener();
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const received = (): string => Buffer.concat(chunks).toString("latin1");
  socket.write(head);
  return {
    socket,
    chunks,
    received,
    closed,
    waitForText(needle: string): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!received().includes(needle)) return;
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        void closed.then(() => {
          if (listeners.delete(check)) reject(new Error(`closed before ${JSON.stringify(needle)}; got ${received()}`));
        });
        check();
      });
    },
  };
}

/** Settles into the error, so a promise expected to reject is never unhandled. */
function outcome<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.then(
    (value) => value,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
}

/** Resolves with "pending" if `promise` has not settled within `ms`. Only for proving that nothing happens. */
function stillPendingAfter(promise: Promise<unknown>, ms: number): Promise<unknown> {
  return Promise.race([promise, new Promise((resolve) => setTimeout(() => resolve("pending"), ms))]);
}

async function readAll(response: Response): Promise<{ text: string; chunks: number }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text, chunks };
    chunks += 1;
    text += decoder.decode(value, { stream: true });
  }
}

describe("scripting and the request log", () => {
  it("logs every request on arrival and answers unscripted ones with 404", async () => {
    const server = await hostile();
    const response = await fetch(`${server.url}/nothing/here?offset=12&live=sse`, {
      method: "POST",
      headers: { "x-probe": "1" },
      body: "ignored",
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("hostile server: nothing scripted for POST /nothing/here");
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: "POST", path: "/nothing/here", headers: { "x-probe": "1" } });
    expect(request?.query.get("offset")).toBe("12");
    expect(request?.query.get("live")).toBe("sse");
    expect(request?.time).toBeLessThanOrEqual(performance.now());
  });

  it("plays a sequence one behaviour per request and repeats the last; a later script wins", async () => {
    const server = await hostile();
    server.script("/s", [
      { kind: "respond", status: 503, retryAfter: 2 },
      { kind: "respond", status: 429, retryAfter: "Wed, 21 Oct 2026 07:28:00 GMT" },
      { kind: "respond", status: 200, headers: { "x-answer": "yes" }, body: "ok" },
    ]);
    const statuses: Array<[number, string | null]> = [];
    for (let i = 0; i < 4; i += 1) {
      const response = await fetch(`${server.url}/s`);
      await response.arrayBuffer();
      statuses.push([response.status, response.headers.get("retry-after") ?? response.headers.get("x-answer")]);
    }
    expect(statuses).toEqual([
      [503, "2"],
      [429, "Wed, 21 Oct 2026 07:28:00 GMT"],
      [200, "yes"],
      [200, "yes"],
    ]);

    server.script((request) => request.method === "DELETE", { kind: "respond", status: 204 });
    expect((await fetch(`${server.url}/s`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${server.url}/s`)).status).toBe(200);
  });

  it("holds a scripted answer back for delayMs", async () => {
    const server = await hostile();
    server.script("/slow", { kind: "respond", status: 200, body: "late", delayMs: 120 });
    const started = performance.now();
    const response = await fetch(`${server.url}/slow`);
    expect(await response.text()).toBe("late");
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it("rejects behaviours that cannot be carried out when they are scripted", async () => {
    const server = await hostile();
    expect(() => server.script("/x", { kind: "redirect", status: 304 as 301, location: "/y" })).toThrow(RangeError);
    expect(() => server.script("/x", { kind: "echo", status: 200 })).toThrow(RangeError);
    expect(() => server.script("/x", { kind: "slowBody", intervalMs: -1, body: "" })).toThrow(RangeError);
    expect(() => server.script("/x", [])).toThrow(RangeError);
  });
});

describe("redirects", () => {
  it("a 303 after a POST is followed as a GET to where the normal answer lives", async () => {
    const server = await hostile();
    server.script("/moved", { kind: "redirect", status: 303, location: "/answer" });
    server.script("/answer", { kind: "respond", status: 200, body: "here" });

    const response = await fetch(`${server.url}/moved`, { method: "POST", body: "payload", redirect: "follow" });
    expect(response.status).toBe(200);
    expect(response.redirected).toBe(true);
    expect(await response.text()).toBe("here");
    expect(server.requests.map(({ method, path }) => `${method} ${path}`)).toEqual(["POST /moved", "GET /answer"]);
  });

  it("sends every redirect status with an absolute Location on itself", async () => {
    const server = await hostile();
    for (const status of [301, 302, 303, 307, 308] as const) {
      server.script(`/r${status}`, { kind: "redirect", status, location: "/target" });
      const response = await fetch(`${server.url}/r${status}`, { redirect: "manual" });
      expect(response.status).toBe(status);
      expect(response.headers.get("location")).toBe(`${server.url}/target`);
    }
    server.script("/away", { kind: "redirect", status: 307, location: "http://192.0.2.1/elsewhere" });
    const away = await fetch(`${server.url}/away`, { redirect: "manual" });
    expect(away.headers.get("location")).toBe("http://192.0.2.1/elsewhere");
  });
});

describe("hangs", () => {
  it("accepts the request and sends no byte until the client gives up", async () => {
    const server = await hostile();
    server.script("/hang", { kind: "hang" });

    const raw = await rawRequest(server, "GET /hang HTTP/1.1\r\nHost: test\r\n\r\n");
    await server.waitForRequests(1);
    expect(await stillPendingAfter(raw.closed, 150)).toBe("pending");
    expect(raw.chunks).toHaveLength(0);
    raw.socket.destroy();

    const controller = new AbortController();
    const answer = outcome(fetch(`${server.url}/hang`, { signal: controller.signal }));
    await server.waitForRequests(2);
    controller.abort(new Error("gave up"));
    expect(await answer).toMatchObject({ message: "gave up" });
  });
});

describe("slowloris", () => {
  it("dribbles the status line and headers one byte at a time", async () => {
    const server = await hostile();
    server.script("/drip", { kind: "slowHeaders", intervalMs: 10, headers: { "x-long": "abcdefghij" }, body: "done" });
    const raw = await rawRequest(server, "GET /drip HTTP/1.1\r\nHost: test\r\n\r\n");

    await raw.waitForText("HTTP/1.1 200");
    // The head is far from complete when its first bytes are already here.
    expect(raw.received()).not.toContain("\r\n\r\n");
    expect(raw.chunks[0]).toHaveLength(1);
    await raw.closed;

    const text = raw.received();
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(text).toContain("x-long: abcdefghij\r\n");
    expect(text).toContain("connection: close\r\n");
    expect(text.endsWith("\r\n\r\ndone")).toBe(true);
    // One write per byte; a busy event loop may merge a few on arrival.
    const headLength = text.length - "done".length;
    expect(raw.chunks.length).toBeGreaterThan(headLength / 2);
  });

  it("a dribbled head is a valid response once it completes, and a fetch deadline expires while it dribbles", async () => {
    const server = await hostile();
    server.script("/quick", { kind: "slowHeaders", intervalMs: 0, status: 201, body: "[1]" });
    const quick = await fetch(`${server.url}/quick`);
    expect(quick.status).toBe(201);
    expect(await quick.text()).toBe("[1]");

    server.script("/crawl", { kind: "slowHeaders", intervalMs: 1_000 });
    const crawl = await outcome(fetch(`${server.url}/crawl`, { signal: AbortSignal.timeout(200) }));
    expect(crawl).toMatchObject({ name: "TimeoutError" });
  });

  it("sends the headers at once, then the body one byte per interval", async () => {
    const server = await hostile();
    const body = "0123456789abcdefghij";
    server.script("/body", { kind: "slowBody", intervalMs: 10, body, headers: { "content-type": "text/plain" } });

    const response = await fetch(`${server.url}/body`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(body.length));
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(first.value).toHaveLength(1);
    reader.releaseLock();
    const rest = await readAll(response);
    expect(new TextDecoder().decode(first.value) + rest.text).toBe(body);
    expect(rest.chunks).toBeGreaterThan((body.length - 1) / 2);
  });
});

describe("offsets that lead nowhere", () => {
  it("answers a read with no progress: empty, the same offset back, not up to date", async () => {
    const server = await hostile();
    server.script("/stuck", { kind: "noProgress" });
    const response = await fetch(`${server.url}/stuck?offset=0000000000000000_0000000000000042`);
    expect(response.status).toBe(200);
    expect(response.headers.get("stream-next-offset")).toBe("0000000000000000_0000000000000042");
    expect(response.headers.has("stream-up-to-date")).toBe(false);
    expect(await response.text()).toBe("");
  });

  it("answers a read with data and a next offset before the requested one", async () => {
    const server = await hostile();
    server.script("/back", { kind: "regressingOffset" });
    const requested = "0000000000000000_0000000000000042";
    const response = await fetch(`${server.url}/back?offset=${requested}`);
    expect(response.status).toBe(200);
    const next = response.headers.get("stream-next-offset") ?? "";
    expect(next < requested).toBe(true);
    expect(JSON.parse(await response.text())).toEqual([{ hostile: true }]);

    server.script("/back", { kind: "regressingOffset", nextOffset: "0000000000000000_0000000000000001", body: "[2]" });
    const chosen = await fetch(`${server.url}/back?offset=${requested}`);
    expect(chosen.headers.get("stream-next-offset")).toBe("0000000000000000_0000000000000001");
    expect(await chosen.text()).toBe("[2]");
  });
});

describe("server-sent events", () => {
  it("streams data events past any size without ever a control event", async () => {
    const server = await hostile();
    server.script("/sse", { kind: "endlessSse" });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/sse?live=sse`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toBe("text/event-stream");

    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (text.length < 512 * 1024) {
      const { done, value } = await reader.read();
      if (done) throw new Error("the endless stream ended");
      text += value;
    }
    controller.abort();
    const events = text.split("\n\n").slice(0, -1);
    expect(events.length).toBeGreaterThan(400);
    expect(events.every((event) => event.startsWith("event: data\ndata: "))).toBe(true);
    expect(text).not.toContain("control");
  });

  it("stops by itself at maxBytes, each payload line framed as data", async () => {
    const server = await hostile();
    server.script("/capped", { kind: "endlessSse", data: "line one\nline two", maxBytes: 1_000 });
    const text = await (await fetch(`${server.url}/capped`)).text();
    const frame = "event: data\ndata: line one\ndata: line two\n\n";
    expect(text).toBe(frame.repeat(Math.floor(1_000 / frame.length)));
  });

  it("sends SSE headers, then nothing at all", async () => {
    const server = await hostile();
    server.script("/quiet", { kind: "silentSse" });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/quiet`, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const read = outcome(response.body!.getReader().read());
    expect(await stillPendingAfter(read, 150)).toBe("pending");
    controller.abort();
    expect(await read).toBeInstanceOf(Error);
  });
});

describe("echo", () => {
  it("answers with an error status whose body repeats the request headers", async () => {
    const server = await hostile();
    server.script("/echo", { kind: "echo", status: 401 });
    const response = await fetch(`${server.url}/echo`, { headers: { authorization: "Bearer s3cret" } });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toMatchObject({ authorization: "Bearer s3cret" });
  });
});

describe("closing the hostile server", () => {
  it("ends hung, dribbling and streaming connections at once and releases the port", async () => {
    const server = await startHostileServer();
    server.script("/hang", { kind: "hang" });
    server.script("/drip", { kind: "slowHeaders", intervalMs: 10_000 });
    server.script("/body", { kind: "slowBody", intervalMs: 10_000, body: "xyz" });
    server.script("/quiet", { kind: "silentSse" });
    server.script("/sse", { kind: "endlessSse", intervalMs: 10_000 });

    const hung = outcome(fetch(`${server.url}/hang`));
    const drip = outcome(fetch(`${server.url}/drip`));
    const body = outcome(fetch(`${server.url}/body`).then((response) => response.text()));
    const quiet = outcome(fetch(`${server.url}/quiet`).then((response) => response.text()));
    const sse = outcome(fetch(`${server.url}/sse`).then((response) => response.text()));
    await server.waitForRequests(5);
    const later = outcome(server.waitForRequests(6));

    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    for (const result of await Promise.all([hung, drip, body, quiet, sse])) expect(result).toBeInstanceOf(Error);
    expect(await later).toBeInstanceOf(Error);
    expect(await outcome(fetch(`${server.url}/hang`))).toBeInstanceOf(Error);
    await server.close();
  });
});
