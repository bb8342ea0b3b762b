/**
 * Pacing of provider calls: every call the hub makes for one provider account (syncs, pushes,
 * proxy, sends, tests) takes from that account's budgets first, so the hub slows down before
 * the provider answers 429. Budgets follow the provider's published limits (`rateLimits` in
 * its module) at 90%, counted in D1 as a sliding window (Cloudflare's two-window estimate: the
 * previous window's count weighted by its overlap plus the current window's).
 */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { type HttpClient, ProviderError } from "../providers/runtime.ts";
import type { RateBudget } from "../providers/sync.ts";

/** Share of the published limit the hub allows itself, leaving room for clock skew and other apps. */
export const BUDGET_SHARE = 0.9;
/** A call waits in place at most this long for room; longer, it fails as rate_limited. */
export const MAX_WAIT_MS = 2000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Pacer {
  constructor(private readonly db: Db) {}

  /**
   * Takes one call from every budget of `key`. Returns 0 when the call may go now, or the
   * milliseconds to wait before asking again (nothing is taken then).
   */
  async take(key: string, budgets: RateBudget[], now = Date.now()): Promise<number> {
    if (!budgets.length) return 0;
    const statements = budgets.map((b) => {
      const w = b.windowSeconds * 1000;
      const start = Math.floor(now / w) * w;
      return this.db.all<{ count: number; previous_count: number }>(sql`
        insert into rate_budgets (key, window_start, count, previous_count)
        values (${`${key}:${b.windowSeconds}`}, ${start}, 1, 0)
        on conflict(key) do update set
          previous_count = case
            when rate_budgets.window_start = excluded.window_start then rate_budgets.previous_count
            when rate_budgets.window_start = excluded.window_start - ${w} then rate_budgets.count
            else 0 end,
          count = case when rate_budgets.window_start = excluded.window_start then rate_budgets.count + 1 else 1 end,
          window_start = excluded.window_start
        returning count, previous_count`);
    });
    const results = await this.db.batch(statements as [(typeof statements)[number]]);
    let wait = 0;
    budgets.forEach((b, i) => {
      const row = (results[i] as { count: number; previous_count: number }[] | undefined)?.[0];
      if (!row) return;
      const w = b.windowSeconds * 1000;
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
      await this.db.batch(
        budgets.map((b) => {
          const w = b.windowSeconds * 1000;
          return this.db.run(sql`update rate_budgets set count = max(0, count - 1)
            where key = ${`${key}:${b.windowSeconds}`} and window_start = ${Math.floor(now / w) * w}`);
        }) as [ReturnType<Db["run"]>],
      );
    }
    return wait;
  }

  /**
   * An HTTP client that paces every request under `budgets` of `key`: it waits for room up to
   * MAX_WAIT_MS, and beyond that fails as rate_limited with the wait as Retry-After (a sync
   * then pauses, a send is retried later, the proxy answers 429).
   */
  paced(http: HttpClient, key: string, budgets: RateBudget[] | undefined, maxWaitMs = MAX_WAIT_MS): HttpClient {
    if (!budgets?.length) return http;
    return async (request) => {
      let waited = 0;
      for (;;) {
        const wait = await this.take(key, budgets);
        if (wait === 0) break;
        if (waited + wait > maxWaitMs) {
          throw new ProviderError(
            "rate_limited",
            `paused before the provider's rate limit: this account's request budget is used up for now`,
            { retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)), code: "BUDGET" },
          );
        }
        await sleep(wait);
        waited += wait;
      }
      return http(request);
    };
  }
}
