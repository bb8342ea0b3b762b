/**
 * The arithmetic of request budgets, apart from where the counts are kept (the RateBudgets
 * Durable Object): a sliding window estimated from two fixed windows (Cloudflare's two-window
 * estimate: the previous window's count weighted by its overlap plus the current window's).
 */
import type { RateBudget } from "../../providers/sync.ts";

/** Share of the published limit the hub allows itself, leaving room for clock skew and other apps. */
export const BUDGET_SHARE = 0.9;

/** One budget's counts: the current fixed window (its start, ms since the epoch) and the one before. */
export interface WindowCount {
  start: number;
  count: number;
  previous: number;
}

/** The counts of one provider account, by window length in seconds. */
export type WindowCounts = Map<number, WindowCount>;

/** `c` seen from the window starting at `start`: the previous window's count rolls over, older ones are gone. */
function rolled(c: WindowCount | undefined, start: number, w: number): WindowCount {
  if (c?.start === start) return c;
  if (c?.start === start - w) return { start, count: 0, previous: c.count };
  return { start, count: 0, previous: 0 };
}

/**
 * Takes one call at `now` from every budget in `counts`, all or nothing. Returns 0 when the
 * call may go (`counts` then holds it), or the milliseconds until there is room again (then
 * `counts` is left as it was).
 */
export function takeOne(counts: WindowCounts, budgets: readonly RateBudget[], now: number): number {
  let wait = 0;
  const taken: [number, WindowCount][] = [];
  for (const b of budgets) {
    const w = b.windowSeconds * 1000;
    const start = Math.floor(now / w) * w;
    const c = rolled(counts.get(b.windowSeconds), start, w);
    const count = c.count + 1;
    taken.push([b.windowSeconds, { start, count, previous: c.previous }]);
    const elapsed = (now - start) / w;
    const allowed = Math.max(1, Math.floor(b.limit * BUDGET_SHARE));
    const estimate = c.previous * (1 - elapsed) + count;
    if (estimate <= allowed) continue;
    // Room comes back as the previous window slides out, or when this window ends.
    const fromPrevious = c.previous > 0 ? ((estimate - allowed) / c.previous) * w : Number.POSITIVE_INFINITY;
    const toWindowEnd = start + w - now;
    wait = Math.max(wait, Math.ceil(Math.min(fromPrevious, toWindowEnd)) + 10);
  }
  if (wait > 0) return wait;
  for (const [seconds, c] of taken) counts.set(seconds, c);
  // Windows that ended two lengths ago weigh nothing any more: no need to keep them.
  for (const [seconds, c] of counts) if (c.start + 2 * seconds * 1000 <= now) counts.delete(seconds);
  return 0;
}
