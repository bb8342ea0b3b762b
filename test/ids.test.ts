import { describe, expect, it } from "vitest";
import { prefixedId, uuidv7 } from "../src/lib/ids.ts";

describe("time-ordered ids", () => {
  it("ids made in one millisecond sort in the order they were made", () => {
    const ms = Date.UTC(2026, 11, 4);
    const ids = Array.from({ length: 5000 }, () => uuidv7(ms));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    // 5,000 ids overflow the 12-bit counter: the timestamp moves on rather than wrapping.
    const stamp = (id: string) => Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16);
    expect(stamp(ids[0] as string)).toBe(ms);
    expect(stamp(ids.at(-1) as string)).toBeGreaterThan(ms);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("a clock that steps back never makes an id that sorts before an earlier one", () => {
    const first = uuidv7(Date.UTC(2026, 11, 5));
    const second = uuidv7(Date.UTC(2026, 11, 4));
    expect(second > first).toBe(true);
  });

  it("prefixed ids keep the same order", () => {
    const ids = Array.from({ length: 100 }, () => prefixedId("evt"));
    expect([...ids].sort()).toEqual(ids);
  });
});
