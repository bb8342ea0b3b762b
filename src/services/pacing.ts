/**
 * Pacing of provider calls: every call the hub makes for one provider account (syncs, pushes,
 * proxy, sends, tests) takes from that account's budgets first, so the hub stops before the
 * provider answers 429. Budgets follow the provider's published limits (`rateLimits` in its
 * module) at 90%, counted in D1 as a sliding window (Cloudflare's two-window estimate: the
 * previous window's count weighted by its overlap plus the current window's). A call over
 * budget never waits in place: it fails at once as rate_limited with Retry-After, so the proxy
 * answers 429 and queued work (sends, syncs, pushes) is retried by the queue later.
 */
import type { Db } from "../db/client.ts";
import { ProviderError } from "../providers/runtime.ts";
import type { RateBudget } from "../providers/sync.ts";

/** Share of the published limit the hub allows itself, leaving room for clock skew and other apps. */
export const BUDGET_SHARE = 0.9;

/** Milliseconds since the epoch; injected so tests run pacing on a controlled clock. */
export type Clock = () => number;

/** Counts one call in the current window, rolling the previous window's count over. Binds: key, window start, window ms. */
const TAKE_SQL = `
  insert into rate_budgets (key, window_start, count, previous_count) values (?1, ?2, 1, 0)
  on conflict(key) do update set
    previous_count = case
      when rate_budgets.window_start = excluded.window_start then rate_budgets.previous_count
      when rate_budgets.window_start = excluded.window_start - ?3 then rate_budgets.count
      else 0 end,
    count = case when rate_budgets.window_start = excluded.window_start then rate_budgets.count + 1 else 1 end,
    window_start = excluded.window_start
  returning count, previous_count`;

const GIVE_BACK_SQL =
  "update rate_budgets set count = max(0, count - 1) where key = ?1 and window_start = ?2";

export class Pacer {
  constructor(
    private readonly db: Db,
    private readonly now: Clock = () => Date.now(),
  ) {}

  /**
   * Takes one call from every budget of `key`. Returns 0 when the call may go now, or the
   * milliseconds until there is room again (nothing is taken then).
   */
  async take(key: string, budgets: RateBudget[]): Promise<number> {
    if (!budgets.length) return 0;
    const now = this.now();
    const d1 = this.db.$client;
    const windows = budgets.map((b) => {
      const w = b.windowSeconds * 1000;
      return { b, w, start: Math.floor(now / w) * w, key: `${key}:${b.windowSeconds}` };
    });
    const results = await d1.batch<{ count: number; previous_count: number }>(
      windows.map(({ w, start, key: k }) => d1.prepare(TAKE_SQL).bind(k, start, w)),
    );
    let wait = 0;
    windows.forEach(({ b, w }, i) => {
      const row = results[i]?.results[0];
      if (!row) return;
      const elapsed = (now % w) / w;
      const allowed = Math.max(1, Math.floor(b.limit * BUDGET_SHARE));
      const estimate = row.previous_count * (1 - elapsed) + row.count;
      if (estimate <= allowed) return;
      // Room comes back as the previous window slides out, or when this window ends.
      const fromPrevious =
        row.previous_count > 0 ? ((estimate - allowed) / row.previous_count) * w : Number.POSITIVE_INFINITY;
      const toWindowEnd = w - (now % w);
      wait = Math.max(wait, Math.ceil(Math.min(fromPrevious, toWindowEnd)) + 10);
    });
    if (wait > 0) {
      // Not taken after all: give the calls back.
      await d1.batch(windows.map(({ start, key: k }) => d1.prepare(GIVE_BACK_SQL).bind(k, start)));
    }
    return wait;
  }

  /**
   * Admits one call under `budgets` of `key`, or throws a rate_limited ProviderError (code
   * `BUDGET`) whose Retry-After is the time until there is room. It never waits: the sync
   * pauses, a send or push is retried by the queue, the proxy answers 429.
   */
  async admit(key: string, budgets: RateBudget[] | undefined): Promise<void> {
    if (!budgets?.length) return;
    const wait = await this.take(key, budgets);
    if (wait === 0) return;
    throw new ProviderError(
      "rate_limited",
      "paused before the provider's rate limit: this account's request budget is used up for now",
      { retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)), code: "BUDGET" },
    );
  }
}
