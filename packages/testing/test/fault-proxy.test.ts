import { createServer, connect } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  startFaultProxy,
  startReferenceServer,
  type FaultPlan,
  type FaultProxy,
  type ReferenceServer,
} from "../src/index";

const TEXT = { "content-type": "text/plain" };

let ref: ReferenceServer;
const proxies: FaultProxy[] = [];

beforeAll(async () => {
  // Long enough that a live read cannot time out mid-test by accident.
  ref = await startReferenceServer({ longPollTimeoutMs: 5_000 });
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});
afterAll(async () => {
  await ref.stop();
});

async function proxyWith(plan: FaultPlan = {}, seed = 1): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ target: ref.url, plan, seed });
  proxies.push(proxy);
  return proxy;
}

/** The same stream URL, reached through the proxy. */
function via(proxy: FaultProxy, streamUrl: string): string {
  const url = new URL(streamUrl);
  return `${proxy.url}${url.pathname}${url.search}`;
}

/** Creates a stream directly on the server, bypassing any proxy. */
async function createStream(body = ""): Promise<string> {
  const url = ref.streamUrl();
  const response = await fetch(url, { method: "PUT", headers: TEXT, body });
  expect(response.status).toBe(201);
  return url;
}

/** What the server really holds, read directly. */
async function readDirect(url: string): Promise<string> {
  const response = await fetch(`${url}?offset=-1`);
  expect(response.status).toBe(200);
  return response.text();
}

function isConnectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

/** Reads until `needle` has arrived; fails if the stream ends first. */
async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  seen: string,
  needle: string,
): Promise<string> {
  while (!seen.includes(needle)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`stream ended before ${JSON.stringify(needle)}; got ${seen}`);
    seen += value;
  }
  return seen;
}

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A loopback port with nothing listening on it. */
async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return address.port;
}

describe("fault proxy pass-through", () => {
  it("forwards method, path, query, headers and bodies unchanged with an empty plan", async () => {
    const proxy = await proxyWith();
    const url = ref.streamUrl();

    const created = await fetch(via(proxy, url), { method: "PUT", headers: TEXT });
    expect(created.status).toBe(201);
    // The server's own origin in Location is pointed back at the proxy.
    expect(created.headers.get("location")).toBe(via(proxy, url));

    const appended = await fetch(via(proxy, url), { method: "POST", headers: TEXT, body: "abc" });
    expect(appended.status).toBe(204);
    const tail = appended.headers.get("stream-next-offset");
    expect(tail).toBeTruthy();

    const read = await fetch(via(proxy, `${url}?offset=-1`));
    expect(read.status).toBe(200);
    expect(read.headers.get("stream-next-offset")).toBe(tail);
    expect(await read.text()).toBe("abc");

    const head = await fetch(via(proxy, url), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("stream-next-offset")).toBe(tail);

    const deleted = await fetch(via(proxy, url), { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect((await fetch(url, { method: "HEAD" })).status).toBe(404);

    expect(proxy.stats).toMatchObject({ requests: 5, forwarded: 5, upstreamErrors: 0 });
  });

  it("streams SSE events as they happen instead of buffering the response", async () => {
    const proxy = await proxyWith();
    const url = await createStream("first");
    const controller = new AbortController();
    const response = await fetch(via(proxy, `${url}?offset=-1&live=sse`), {
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();

    // An SSE response never ends on its own, so receiving anything at all
    // proves the proxy is not waiting for the end of the body.
    let seen = await readUntil(reader, "", "event: control");
    expect(seen).toContain("first");

    await fetch(url, { method: "POST", headers: TEXT, body: "second" });
    seen = await readUntil(reader, seen, "second");

    controller.abort();
    // The proxy shrugs off the abort and keeps serving.
    expect((await fetch(via(proxy, `${url}?offset=-1`))).status).toBe(200);
  });

  it("holds a long-poll open until the server answers it", async () => {
    const proxy = await proxyWith();
    const url = await createStream();
    const head = await fetch(url, { method: "HEAD" });
    const offset = head.headers.get("stream-next-offset") ?? "";

    const poll = fetch(via(proxy, `${url}?offset=${offset}&live=long-poll`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await fetch(url, { method: "POST", headers: TEXT, body: "late" });

    const response = await poll;
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("late");
  });

  it("answers 502 when the target is down, without crashing", async () => {
    const proxy = await startFaultProxy({ target: `http://127.0.0.1:${await unusedPort()}` });
    proxies.push(proxy);
    const response = await fetch(`${proxy.url}/v1/stream/anything`);
    expect(response.status).toBe(502);
    expect(proxy.stats.upstreamErrors).toBe(1);
  });
});

describe("injected faults", () => {
  it("503 everywhere: the client sees 503 and the server sees nothing", async () => {
    const proxy = await proxyWith({ unavailable: 1 });
    const existing = await createStream("before");
    const fresh = ref.streamUrl();

    const append = await fetch(via(proxy, existing), { method: "POST", headers: TEXT, body: "lost" });
    expect(append.status).toBe(503);
    const create = await fetch(via(proxy, fresh), { method: "PUT", headers: TEXT });
    expect(create.status).toBe(503);

    expect(await readDirect(existing)).toBe("before");
    expect((await fetch(fresh, { method: "HEAD" })).status).toBe(404);
    expect(proxy.stats).toMatchObject({ requests: 2, forwarded: 0, unavailable: 2 });
  });

  it("429 carries the configured Retry-After, 0 by default", async () => {
    const url = await createStream();
    const slow = await proxyWith({ rateLimited: 1, retryAfterSeconds: 3 });
    const limited = await fetch(via(slow, url));
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");

    const fast = await proxyWith({ rateLimited: 1 });
    expect((await fetch(via(fast, url))).headers.get("retry-after")).toBe("0");
    expect(slow.stats.forwarded + fast.stats.forwarded).toBe(0);
  });

  it("a drop during the request fails the fetch and never reaches the server", async () => {
    const proxy = await proxyWith({ dropDuringRequest: 1 });
    const url = await createStream();
    await expect(
      fetch(via(proxy, url), { method: "POST", headers: TEXT, body: "x".repeat(64 * 1024) }),
    ).rejects.toThrow();
    expect(await readDirect(url)).toBe("");
    expect(proxy.stats).toMatchObject({ dropDuringRequest: 1, forwarded: 0 });
  });

  it("a drop before the response fails the fetch although the server applied it", async () => {
    const proxy = await proxyWith({ dropBeforeResponse: 1 });
    const url = await createStream();
    await expect(
      fetch(via(proxy, url), { method: "POST", headers: TEXT, body: "applied" }),
    ).rejects.toThrow();
    expect(await readDirect(url)).toBe("applied");
    expect(proxy.stats).toMatchObject({ dropBeforeResponse: 1, forwarded: 1 });
  });

  it("a drop mid-response delivers the status, then fails the body read", async () => {
    const proxy = await proxyWith({ dropDuringResponse: 1 });
    const url = await createStream("0123456789");
    const response = await fetch(via(proxy, `${url}?offset=-1`));
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(proxy.stats.dropDuringResponse).toBe(1);
  });

  it("a drop mid-response lets exactly responseBytesBeforeDrop bytes through", async () => {
    const proxy = await proxyWith({ dropDuringResponse: 1, responseBytesBeforeDrop: 4 });
    const url = await createStream("0123456789");
    const response = await fetch(via(proxy, `${url}?offset=-1`));
    const reader = response.body!.getReader();
    const received: number[] = [];
    let failure: unknown;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received.push(...value);
      }
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(Error);
    expect(new TextDecoder().decode(new Uint8Array(received))).toBe("0123");
  });

  it("a drop mid-response on a bodiless 204 withholds the headers too", async () => {
    const proxy = await proxyWith({ dropDuringResponse: 1 });
    const url = await createStream();
    await expect(
      fetch(via(proxy, url), { method: "POST", headers: TEXT, body: "kept" }),
    ).rejects.toThrow();
    // It was forwarded, so the server has it.
    expect(await readDirect(url)).toBe("kept");
  });

  it("restricts faults to the listed methods and stops after maxFaults", async () => {
    const proxy = await proxyWith({ unavailable: 1, methods: ["post"], maxFaults: 2 });
    const url = await createStream();
    const statuses: number[] = [];
    for (const method of ["GET", "POST", "GET", "POST", "POST"]) {
      const init: RequestInit =
        method === "POST" ? { method, headers: TEXT, body: "y" } : { method };
      const target = method === "GET" ? `${url}?offset=-1` : url;
      const response = await fetch(via(proxy, target), init);
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    expect(statuses).toEqual([200, 503, 200, 503, 204]);
    expect(await readDirect(url)).toBe("y");
  });

  it("delays requests within the configured range", async () => {
    const proxy = await proxyWith({ delay: 1, delayMs: { min: 150, max: 200 } });
    const url = await createStream();
    const started = performance.now();
    expect((await fetch(via(proxy, `${url}?offset=-1`))).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(proxy.stats.delayed).toBe(1);
  });

  it("rejects plans whose failure probabilities exceed 1", async () => {
    const proxy = await proxyWith();
    expect(() => proxy.setPlan({ unavailable: 0.6, rateLimited: 0.6 })).toThrow(RangeError);
    expect(() => proxy.setPlan({ delay: 2 })).toThrow(RangeError);
    expect(() => proxy.setPlan({ hang: 0.5, slowloris: 0.6 })).toThrow(RangeError);
    await expect(
      startFaultProxy({ target: ref.url, plan: { maxFaults: -1 } }),
    ).rejects.toThrow(RangeError);
  });
});

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

/** Sends a raw request and collects every chunk of the answer until the proxy closes the connection. */
function rawExchange(proxy: FaultProxy, request: string): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(proxy.url).port), "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", reject);
    socket.once("close", () => resolve(chunks));
    socket.write(request);
  });
}

describe("hang and slowloris", () => {
  it("a hang forwards the append, then never answers until the client gives up", async () => {
    const proxy = await proxyWith({ hang: 1 });
    const url = await createStream();
    const controller = new AbortController();
    const append = outcome(
      fetch(via(proxy, url), { method: "POST", headers: TEXT, body: "stored", signal: controller.signal }),
    );
    // The server applied it: the dangerous case for a client that resends.
    await waitFor(() => proxy.stats.forwarded === 1);
    const stored = async () => (await readDirect(url)) === "stored";
    for (let attempt = 0; !(await stored()); attempt += 1) {
      if (attempt > 100) throw new Error("the hung append never reached the server");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await stillPendingAfter(append, 200)).toBe("pending");
    controller.abort(new Error("client deadline"));
    expect(await append).toMatchObject({ message: "client deadline" });
    expect(proxy.stats).toMatchObject({ hang: 1, forwarded: 1, upstreamErrors: 0 });
  });

  it("a hang with forwardBeforeHang false takes the upload and never forwards it", async () => {
    const proxy = await proxyWith({ hang: 1, forwardBeforeHang: false });
    const url = await createStream();
    const append = outcome(
      fetch(via(proxy, url), { method: "POST", headers: TEXT, body: "x".repeat(256 * 1024), signal: AbortSignal.timeout(300) }),
    );
    expect(await append).toMatchObject({ name: "TimeoutError" });
    expect(await readDirect(url)).toBe("");
    expect(proxy.stats).toMatchObject({ hang: 1, forwarded: 0 });
  });

  it("slowloris sends the head at once, then the body a byte per interval", async () => {
    const proxy = await proxyWith({ slowloris: 1, slowlorisIntervalMs: 10 });
    const body = "0123456789abcdefghij";
    const url = await createStream(body);
    const response = await fetch(via(proxy, `${url}?offset=-1`));
    expect(response.status).toBe(200);
    expect(response.headers.get("stream-next-offset")).toBeTruthy();
    const reader = response.body!.getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(chunks[0]).toHaveLength(1);
    // One write per byte; a busy event loop may merge a few on arrival.
    expect(chunks.length).toBeGreaterThan(body.length / 2);
    expect(new TextDecoder().decode(Buffer.concat(chunks))).toBe(body);
    expect(proxy.stats.slowloris).toBe(1);
  });

  it("slowloris stalls after the first body byte for seconds by default", async () => {
    const proxy = await proxyWith({ slowloris: 1 });
    const url = await createStream("two");
    const controller = new AbortController();
    const response = await fetch(via(proxy, `${url}?offset=-1`), { signal: controller.signal });
    const reader = response.body!.getReader();
    expect((await reader.read()).value).toHaveLength(1);
    const next = outcome(reader.read());
    expect(await stillPendingAfter(next, 300)).toBe("pending");
    controller.abort();
    expect(await next).toBeInstanceOf(Error);
  });

  it("slowloris dribbles the head itself when the answer has no body, after the server applied it", async () => {
    const proxy = await proxyWith({ slowloris: 1, slowlorisIntervalMs: 1_000 });
    const url = await createStream();
    const append = outcome(
      fetch(via(proxy, url), { method: "POST", headers: TEXT, body: "kept", signal: AbortSignal.timeout(300) }),
    );
    expect(await append).toMatchObject({ name: "TimeoutError" });
    expect(await readDirect(url)).toBe("kept");

    // A producer append gets a 200 with an empty chunked body: no body
    // either, so its head is the part slowed down.
    proxy.setPlan({ slowloris: 1, slowlorisIntervalMs: 5 });
    const path = new URL(url).pathname;
    const chunks = await rawExchange(
      proxy,
      `POST ${path} HTTP/1.1\r\nHost: test\r\ncontent-type: text/plain\r\nproducer-id: p\r\n` +
        `producer-epoch: 0\r\nproducer-seq: 0\r\ncontent-length: 4\r\n\r\nmore`,
    );
    const answer = Buffer.concat(chunks).toString("latin1");
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer).toContain("producer-seq: 0\r\n");
    expect(answer.endsWith("content-length: 0\r\nconnection: close\r\n\r\n")).toBe(true);
    // A byte per interval; a loaded machine may read a few at once, never the head in one piece.
    expect(chunks[0]!.length).toBeLessThan(answer.length / 4);
    expect(chunks.length).toBeGreaterThan(answer.length / 4);
    expect(await readDirect(url)).toBe("keptmore");
  });

  it("a bodiless answer dribbled whole is still a valid response", async () => {
    const proxy = await proxyWith({ slowloris: 1, slowlorisIntervalMs: 0 });
    const url = await createStream("abc");
    const head = await fetch(via(proxy, url), { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("stream-next-offset")).toBeTruthy();
    const append = await fetch(via(proxy, url), { method: "POST", headers: TEXT, body: "d" });
    expect(append.status).toBe(204);
    expect(await readDirect(url)).toBe("abcd");
  });

  it("stop() ends hung and dribbling connections at once", async () => {
    const proxy = await startFaultProxy({ target: ref.url, plan: { hang: 1 } });
    const url = await createStream("body");
    const hung = outcome(fetch(via(proxy, `${url}?offset=-1`)));
    await waitFor(() => proxy.stats.hang === 1);
    proxy.setPlan({ slowloris: 1, slowlorisIntervalMs: 10_000 });
    const dribbling = outcome(fetch(via(proxy, `${url}?offset=-1`)).then((response) => response.text()));
    const headDribbling = outcome(fetch(via(proxy, url), { method: "POST", headers: TEXT, body: "x" }));
    await waitFor(() => proxy.stats.slowloris === 2);

    const started = performance.now();
    await proxy.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    for (const result of await Promise.all([hung, dribbling, headDribbling])) expect(result).toBeInstanceOf(Error);
  });
});

describe("seeded fault selection", () => {
  const mixed: FaultPlan = {
    dropDuringRequest: 0.08,
    dropDuringResponse: 0.08,
    dropBeforeResponse: 0.08,
    unavailable: 0.08,
    rateLimited: 0.08,
    delay: 0.1,
    delayMs: { min: 1, max: 3 },
  };
  const BODY = "deterministic body";

  async function run(url: string, seed: number) {
    const proxy = await proxyWith(mixed, seed);
    const outcomes: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      try {
        const response = await fetch(via(proxy, `${url}?offset=-1`));
        const body = await response.text();
        outcomes.push(response.status === 200 && body !== BODY ? "short" : String(response.status));
      } catch {
        outcomes.push("error");
      }
    }
    return { outcomes, stats: { ...proxy.stats } };
  }

  it("gives the same faults for the same seed over 200 sequential GETs", async () => {
    const url = await createStream(BODY);
    const first = await run(url, 1234);
    const second = await run(url, 1234);

    expect(second.outcomes).toEqual(first.outcomes);
    expect(second.stats).toEqual(first.stats);

    const { stats, outcomes } = first;
    const tally = (outcome: string) => outcomes.filter((o) => o === outcome).length;
    // No silent client retries: one proxied request per fetch.
    expect(stats.requests).toBe(200);
    // What the client saw matches what the proxy says it did.
    expect(tally("503")).toBe(stats.unavailable);
    expect(tally("429")).toBe(stats.rateLimited);
    expect(tally("error")).toBe(
      stats.dropDuringRequest + stats.dropDuringResponse + stats.dropBeforeResponse,
    );
    expect(tally("short")).toBe(0);
    expect(tally("200")).toBe(200 - tally("503") - tally("429") - tally("error"));
    // A mixed plan really mixes.
    for (const kind of [
      "dropDuringRequest",
      "dropDuringResponse",
      "dropBeforeResponse",
      "unavailable",
      "rateLimited",
      "delayed",
    ] as const) {
      expect(stats[kind], kind).toBeGreaterThan(0);
    }

    const other = await run(url, 98765);
    expect(other.outcomes).not.toEqual(first.outcomes);
  });
});

describe("stopping the fault proxy", () => {
  // Counting process.getActiveResourcesInfo() is no help here: the reference
  // server's keep-alive sockets in the same process come and go meanwhile.
  it("closes open streams and its port, leaving no listener behind", async () => {
    const proxy = await startFaultProxy({ target: ref.url });
    const port = Number(new URL(proxy.url).port);

    const url = await createStream("open");
    const response = await fetch(via(proxy, `${url}?offset=-1&live=sse`));
    const reader = response.body!.getReader();
    await reader.read();
    // A request parked in an injected delay has a socket but nothing in
    // flight upstream; stop() must close that too.
    proxy.setPlan({ delay: 1, delayMs: { min: 20_000, max: 20_000 } });
    // Settled into a value right away so its rejection is never unhandled.
    const held = fetch(via(proxy, `${url}?offset=-1`)).then(
      () => "answered",
      (error: unknown) => error,
    );
    await waitFor(() => proxy.stats.delayed === 1);

    const started = performance.now();
    // close() only calls back once every connection is gone, so resolving
    // at all means the SSE socket and its upstream were torn down.
    await proxy.stop();
    expect(performance.now() - started).toBeLessThan(1_000);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return "ended cleanly";
      })(),
    ).rejects.toThrow();
    expect(await held).toBeInstanceOf(Error);
    expect(proxy.stats.upstreamErrors).toBe(0);

    expect(await isConnectionRefused(port)).toBe(true);
    await proxy.stop();
  });
});
