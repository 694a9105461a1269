import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CACHE_CONFIG_PATH,
  hasNginx,
  NGINX_MISSING_MESSAGE,
  startCachingProxy,
  startReferenceServer,
  type CachingProxy,
  type ReferenceServer,
} from "../src/index";

const JSON_TYPE = { "content-type": "application/json" };
const nginx = hasNginx();
if (!nginx) console.warn(NGINX_MISSING_MESSAGE);

function canListenOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

async function createStream(url: string, messages: unknown[] = []): Promise<string> {
  const created = await fetch(url, { method: "PUT", headers: JSON_TYPE, body: JSON.stringify(messages) });
  expect(created.status).toBe(201);
  return created.headers.get("stream-next-offset") ?? "";
}

async function append(url: string, message: unknown): Promise<string> {
  const appended = await fetch(url, { method: "POST", headers: JSON_TYPE, body: JSON.stringify([message]) });
  expect(appended.status).toBe(204);
  return appended.headers.get("stream-next-offset") ?? "";
}

describe("the root README's nginx configuration", () => {
  it("is the file the caching proxy runs, verbatim", () => {
    const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
    const config = readFileSync(CACHE_CONFIG_PATH, "utf8");
    const copied = readme.includes("```nginx\n" + config + "```");
    expect(copied, "README.md's nginx block must be packages/testing/nginx/durable-streams.conf, verbatim").toBe(true);
  });
});

describe.skipIf(!nginx)("startCachingProxy", () => {
  let ref: ReferenceServer;
  let cdn: CachingProxy;

  beforeAll(async () => {
    ref = await startReferenceServer({ longPollTimeoutMs: 500 });
    cdn = await startCachingProxy({ origin: ref.url });
  });
  afterAll(async () => {
    await cdn?.stop();
    await ref?.stop();
  });

  it("listens on its own loopback port and forwards stream paths unchanged", async () => {
    const url = ref.streamUrl();
    expect(new URL(cdn.url).hostname).toBe("127.0.0.1");
    expect(cdn.url).not.toBe(ref.url);
    expect(cdn.through(`${url}?offset=-1`)).toBe(`${cdn.url}${new URL(url).pathname}?offset=-1`);
    const created = await fetch(cdn.through(url), { method: "PUT", headers: JSON_TYPE, body: "[1]" });
    expect(created.status).toBe(201);
    const read = await fetch(`${cdn.through(url)}?offset=-1`);
    expect(await read.json()).toEqual([1]);
  });

  it("answers a repeated catch-up read from the cache: the origin sees it once", async () => {
    const url = ref.streamUrl();
    await createStream(url, [{ n: 1 }]);
    const statuses: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const read = await fetch(`${cdn.through(url)}?offset=-1`);
      expect(await read.json()).toEqual([{ n: 1 }]);
      statuses.push(read.headers.get("x-cache-status"));
    }
    expect(statuses).toEqual(["MISS", "HIT", "HIT"]);
    expect(cdn.origin.select({ path: url, method: "GET" })).toHaveLength(1);
    const log = await cdn.accessLog();
    expect(log).toContain(`GET ${new URL(url).pathname}?offset=-1 200 HIT`);
  });

  it("collapses identical concurrent reads into one origin request", async () => {
    const url = ref.streamUrl();
    await createStream(url, [{ n: 1 }, { n: 2 }]);
    const bodies = await Promise.all(
      Array.from({ length: 30 }, () => fetch(`${cdn.through(url)}?offset=-1`).then((read) => read.json()))
    );
    expect(new Set(bodies.map((body) => JSON.stringify(body)))).toEqual(new Set(['[{"n":1},{"n":2}]']));
    expect(cdn.origin.select({ path: url, method: "GET" })).toHaveLength(1);
  });

  it("gives one long-poll answer to every reader waiting on the same offset and cursor, a timeout included", async () => {
    const url = ref.streamUrl();
    const tail = await createStream(url);
    const poll = () => fetch(`${cdn.through(url)}?offset=${tail}&live=long-poll`);
    // Nothing is appended: the server's wait (500 ms) runs out and all get its 204.
    const timedOut = await Promise.all(Array.from({ length: 20 }, poll));
    expect(timedOut.map((answer) => answer.status)).toEqual(new Array(20).fill(204));
    expect(new Set(timedOut.map((answer) => answer.headers.get("stream-cursor"))).size).toBe(1);

    const cursor = timedOut[0]!.headers.get("stream-cursor") ?? "";
    const waiting = Array.from({ length: 20 }, () =>
      fetch(`${cdn.through(url)}?offset=${tail}&live=long-poll&cursor=${cursor}`).then(async (answer) => ({
        status: answer.status,
        body: await answer.text(),
      }))
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await append(url, { n: 1 });
    for (const answer of await Promise.all(waiting)) expect(answer).toEqual({ status: 200, body: '[{"n":1}]' });
    expect(cdn.origin.select({ path: url, method: "GET", query: { live: "long-poll" } }).length).toBeLessThanOrEqual(3);
  });

  it("never serves offset=now, HEAD or writes from the cache", async () => {
    const url = ref.streamUrl();
    await createStream(url);
    for (let n = 1; n <= 2; n++) {
      const tail = await append(url, { n });
      const head = await fetch(cdn.through(url), { method: "HEAD" });
      expect(head.headers.get("stream-next-offset")).toBe(tail);
      const now = await fetch(`${cdn.through(url)}?offset=now`);
      expect(now.headers.get("stream-next-offset")).toBe(tail);
      expect(now.headers.get("x-cache-status")).toBe("BYPASS");
    }
    // A HEAD stays a HEAD at the origin (nginx would otherwise fetch the whole stream).
    expect(cdn.origin.select({ path: url, method: "HEAD" })).toHaveLength(2);
    expect(cdn.origin.select({ path: url, method: "GET", query: { offset: "-1" } })).toHaveLength(0);
    expect(cdn.origin.select({ path: url, method: "GET", query: { offset: "now" } })).toHaveLength(2);
  });

  it("passes SSE through unbuffered and uncached, and counts the bytes the origin sent", async () => {
    const url = ref.streamUrl();
    await createStream(url, [{ n: 1 }]);
    const controller = new AbortController();
    const sse = await fetch(`${cdn.through(url)}?offset=-1&live=sse`, { signal: controller.signal });
    expect(sse.headers.get("content-type")).toBe("text/event-stream");
    const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    // The connection stays open; the first events must arrive anyway.
    while (!text.includes("event: control")) text += (await reader.read()).value ?? "";
    expect(text).toContain('[{"n":1}]');
    controller.abort();
    const [origin] = cdn.origin.select({ path: url, method: "GET", query: { live: "sse" } });
    expect(origin?.status).toBe(200);
    expect(origin?.bytes).toBeGreaterThanOrEqual(text.length);
  });
});

describe.skipIf(!nginx)("stopping the caching proxy", () => {
  it("ends nginx, releases its port and can be stopped twice", async () => {
    const ref = await startReferenceServer();
    const cdn = await startCachingProxy({ origin: ref.url });
    const port = Number(new URL(cdn.url).port);
    const url = ref.streamUrl();
    const tail = await createStream(url);
    // A long-poll in flight must not hold the stop up.
    const pending = fetch(`${cdn.through(url)}?offset=${tail}&live=long-poll`).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await cdn.stop();
    await cdn.stop();
    expect(await canListenOn(port)).toBe(true);
    await expect(fetch(`${cdn.url}/`)).rejects.toThrow();
    await pending;
    await ref.stop();
  });
});
