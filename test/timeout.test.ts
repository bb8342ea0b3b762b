/**
 * The one request timeout (`withTimeout` in src/lib/outbound.ts), used by provider calls, the
 * proxy and event deliveries: it aborts the request's signal when the time runs out, answers
 * at that moment even when the work ignores the signal, and leaves no timer behind.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { OutboundTimeout, withTimeout } from "../src/lib/outbound.ts";

describe("withTimeout", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("aborts the signal and rejects with OutboundTimeout when the time runs out", async () => {
    let seen: AbortSignal | undefined;
    const pending = withTimeout(5_000, (signal) => {
      seen = signal;
      return new Promise<never>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    });
    const outcome = pending.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const e = await outcome;
    expect(e).toBeInstanceOf(OutboundTimeout);
    expect((e as OutboundTimeout).message).toBe("no answer within 5000 ms (timeout)");
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBeInstanceOf(OutboundTimeout);
  });

  it("answers on time even when the work ignores the signal", async () => {
    const outcome = withTimeout(100, () => new Promise<never>(() => {})).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    expect(await outcome).toBeInstanceOf(OutboundTimeout);
  });

  it("returns what the work returns, leaves no timer and does not abort", async () => {
    let seen: AbortSignal | undefined;
    const value = await withTimeout(1_000, async (signal) => {
      seen = signal;
      return "answered";
    });
    expect(value).toBe("answered");
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(seen?.aborted).toBe(false);
  });

  it("passes the work's own failure through, not as a timeout", async () => {
    const failure = new Error("network error");
    await expect(withTimeout(1_000, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
  });
});
