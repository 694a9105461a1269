import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDribble } from "../src/dribble";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function recorder() {
  const written: string[] = [];
  return { written, write: (byte: Uint8Array) => written.push(new TextDecoder().decode(byte)) };
}

describe("createDribble", () => {
  it("writes one byte per interval, the first at once, then finishes", async () => {
    const { written, write } = recorder();
    const onFinish = vi.fn();
    const dribble = createDribble(write, { intervalMs: 100, onFinish });
    dribble.push(bytes("abc"));
    dribble.end();
    await vi.advanceTimersByTimeAsync(0);
    expect(written).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(99);
    expect(written).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(written).toEqual(["a", "b"]);
    expect(dribble.backlog).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(written).toEqual(["a", "b", "c"]);
    expect(onFinish).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("keeps the pace across pieces pushed while idle, and reports when drained", async () => {
    const { written, write } = recorder();
    const onDrained = vi.fn();
    const dribble = createDribble(write, { intervalMs: 100, onDrained });
    dribble.push(bytes("a"));
    await vi.advanceTimersByTimeAsync(10);
    expect(onDrained).toHaveBeenCalledTimes(1);
    // Idle now: no timer until more bytes come.
    expect(vi.getTimerCount()).toBe(0);
    dribble.push(bytes("b"));
    await vi.advanceTimersByTimeAsync(50);
    expect(written).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(50);
    expect(written).toEqual(["a", "b"]);
  });

  it("writes nothing more and leaves no timer once cancelled", async () => {
    const { written, write } = recorder();
    const onFinish = vi.fn();
    const dribble = createDribble(write, { intervalMs: 100, onFinish });
    dribble.push(bytes("abcdef"));
    dribble.end();
    await vi.advanceTimersByTimeAsync(150);
    dribble.cancel();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(written).toEqual(["a", "b"]);
    expect(onFinish).not.toHaveBeenCalled();
  });

  it("rejects a negative interval", () => {
    expect(() => createDribble(() => {}, { intervalMs: -1 })).toThrow(RangeError);
  });
});
