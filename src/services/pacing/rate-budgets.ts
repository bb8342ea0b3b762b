/**
 * The RateBudgets Durable Object: one object per provider account (named by the pacing key,
 * `idFromName`), holding that account's budget counts. A Durable Object handles its calls one
 * at a time, so concurrent callers can never take the same room twice, and a call costs no D1
 * write. The counts live in memory and are written through to the object's own storage (the
 * synchronous SQLite-backed KV, no round trip), so an eviction or a deploy does not hand an
 * account a fresh day's budget. Exported by both entries (src/index.ts, src/dev.ts): wrangler
 * finds Durable Object classes in the main module.
 */
import { DurableObject } from "cloudflare:workers";
import type { RateBudget } from "../../providers/sync.ts";
import { takeOne, type WindowCount, type WindowCounts } from "./window.ts";

/** The storage key of the counts: one small value per object. */
const COUNTS = "counts";

export class RateBudgets extends DurableObject<Env> {
  private readonly counts: WindowCounts;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.counts = new Map(ctx.storage.kv.get<[number, WindowCount][]>(COUNTS) ?? []);
  }

  /**
   * Takes one call at `now` (the caller's clock, ms since the epoch) from every budget, all or
   * nothing. Returns 0 when the call may go, or the milliseconds until there is room again.
   * Synchronous on purpose: nothing can interleave between reading and updating the counts.
   */
  take(budgets: RateBudget[], now: number): number {
    const wait = takeOne(this.counts, budgets, now);
    // A refused call changes nothing that the next call would not work out again.
    if (wait === 0) this.ctx.storage.kv.put(COUNTS, [...this.counts]);
    return wait;
  }
}
