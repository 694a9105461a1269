import { describe, expect, it } from "vitest";
import { decideFault, isEligible, validateFaultPlan } from "../src/fault-plan";
import { createSeededRandom } from "../src/seeded-random";

describe("createSeededRandom", () => {
  it("replays the same sequence for the same seed and differs across seeds", () => {
    const take = (seed: number) => {
      const random = createSeededRandom(seed);
      return Array.from({ length: 20 }, () => random());
    };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
    // Seed 0 must not get stuck at xorshift's fixed point.
    expect(new Set(take(0)).size).toBe(20);
  });

  it("stays within [0, 1) and spreads evenly", () => {
    const random = createSeededRandom(42);
    const buckets = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i += 1) {
      const value = random();
      expect(value >= 0 && value < 1).toBe(true);
      const bucket = Math.floor(value * 10);
      buckets[bucket] = (buckets[bucket] ?? 0) + 1;
    }
    for (const count of buckets) {
      expect(count).toBeGreaterThan(9_500);
      expect(count).toBeLessThan(10_500);
    }
  });
});

describe("decideFault", () => {
  it("picks each failure in proportion to its probability", () => {
    const random = createSeededRandom(3);
    const plan = { unavailable: 0.2, rateLimited: 0.1, dropBeforeResponse: 0.05 };
    const tally = new Map<string, number>();
    for (let i = 0; i < 20_000; i += 1) {
      const { kind } = decideFault(plan, random, true);
      const key = kind ?? "none";
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    expect(tally.get("unavailable")).toBeGreaterThan(3_700);
    expect(tally.get("unavailable")).toBeLessThan(4_300);
    expect(tally.get("rateLimited")).toBeGreaterThan(1_800);
    expect(tally.get("rateLimited")).toBeLessThan(2_200);
    expect(tally.get("dropBeforeResponse")).toBeGreaterThan(850);
    expect(tally.get("dropBeforeResponse")).toBeLessThan(1_150);
    expect(tally.has("dropDuringRequest")).toBe(false);
  });

  it("injects no failure once the budget is spent, but still draws delays", () => {
    const random = createSeededRandom(5);
    const plan = { unavailable: 1, delay: 1, delayMs: { min: 7, max: 9 } };
    for (let i = 0; i < 100; i += 1) {
      const { kind, delayMs } = decideFault(plan, random, false);
      expect(kind).toBeUndefined();
      expect(delayMs).toBeGreaterThanOrEqual(7);
      expect(delayMs).toBeLessThanOrEqual(9);
    }
  });

  it("places hang and slowloris after the older kinds, so older plans draw the same faults", () => {
    const plan = { unavailable: 0.25, hang: 0.25, slowloris: 0.25 };
    const kindFor = (draw: number) => decideFault(plan, () => draw, true).kind;
    expect(kindFor(0.1)).toBe("unavailable");
    expect(kindFor(0.3)).toBe("hang");
    expect(kindFor(0.6)).toBe("slowloris");
    expect(kindFor(0.8)).toBeUndefined();
  });

  it("consumes the same draws whatever the plan, so request N is stable", () => {
    const a = createSeededRandom(11);
    const b = createSeededRandom(11);
    decideFault({}, a, true);
    decideFault({ unavailable: 1, delay: 1 }, b, false);
    expect(a()).toBe(b());
  });
});

describe("plan checks", () => {
  it("matches methods case-insensitively and allows all without a list", () => {
    expect(isEligible({ methods: ["post"] }, "POST")).toBe(true);
    expect(isEligible({ methods: ["post"] }, "GET")).toBe(false);
    expect(isEligible({}, "DELETE")).toBe(true);
  });

  it("rejects out-of-range values", () => {
    expect(() => validateFaultPlan({ unavailable: 0.7, rateLimited: 0.4 })).toThrow(RangeError);
    expect(() => validateFaultPlan({ dropDuringRequest: -0.1 })).toThrow(RangeError);
    expect(() => validateFaultPlan({ delayMs: { min: 10, max: 5 } })).toThrow(RangeError);
    expect(() => validateFaultPlan({ retryAfterSeconds: 1.5 })).toThrow(RangeError);
    expect(() => validateFaultPlan({ hang: 0.6, slowloris: 0.5 })).toThrow(RangeError);
    expect(() => validateFaultPlan({ slowlorisIntervalMs: -1 })).toThrow(RangeError);
    expect(() => validateFaultPlan({ slowlorisIntervalMs: 2.5 })).toThrow(RangeError);
    expect(() => validateFaultPlan({ forwardBeforeHang: "no" as unknown as boolean })).toThrow(TypeError);
    expect(() => validateFaultPlan({ hang: 0.5, slowloris: 0.5, forwardBeforeHang: false })).not.toThrow();
    expect(() =>
      validateFaultPlan({ dropDuringRequest: 0.1, unavailable: 0.2, rateLimited: 0.7 }),
    ).not.toThrow();
  });
});
