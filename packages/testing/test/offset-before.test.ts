import { describe, expect, it } from "vitest";
import { offsetBefore } from "../src/offset-before";

describe("offsetBefore", () => {
  it("lowers the last character above 0, keeping the length", () => {
    expect(offsetBefore("0000000000000000_0000000000000042")).toBe("0000000000000000_0000000000000041");
    expect(offsetBefore("0000000000000001_0000000000000000")).toBe("0000000000000000_0000000000000000");
    expect(offsetBefore("-1")).toBe("-0");
    expect(offsetBefore("now")).toBe("nov");
  });

  it("drops the last character when nothing can be lowered, and gives up on the empty offset", () => {
    expect(offsetBefore("0000")).toBe("000");
    expect(offsetBefore("0")).toBe("");
    expect(offsetBefore("")).toBeUndefined();
  });

  it("always sorts strictly before its input", () => {
    for (const offset of ["a", "zz", "0_0", "00a0", "-1", "now", "0000000000000000_0000000000000000"]) {
      const before = offsetBefore(offset);
      expect(before! < offset, `${JSON.stringify(before)} < ${JSON.stringify(offset)}`).toBe(true);
    }
  });
});
