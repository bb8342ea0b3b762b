/** Fixed-window rate limits kept in D1: one atomic upsert per hit. */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { ApiError, ErrorCode } from "../errors.ts";

export interface RateLimitOptions {
  limit: number;
  windowSeconds: number;
}

/**
 * Counts a hit on `key`; throws a 429 ApiError with Retry-After when the window's limit is
 * exceeded.
 */
export async function hitRateLimit(
  db: Db,
  key: string,
  opts: RateLimitOptions,
  now = Date.now(),
): Promise<void> {
  const window = Math.floor(now / 1000 / opts.windowSeconds) * opts.windowSeconds;
  const rows = await db.all<{ count: number }>(sql`
    insert into rate_limits (key, window_start, count) values (${key}, ${window}, 1)
    on conflict(key) do update set
      count = case when rate_limits.window_start = excluded.window_start then rate_limits.count + 1 else 1 end,
      window_start = excluded.window_start
    returning count`);
  const count = rows[0]?.count ?? 1;
  if (count > opts.limit) {
    const retryAfter = Math.max(1, window + opts.windowSeconds - Math.floor(now / 1000));
    throw new ApiError(
      ErrorCode.RATE_LIMITED,
      `Too many requests: ${opts.limit} per ${opts.windowSeconds} s; retry in ${retryAfter} s`,
      { headers: { "Retry-After": String(retryAfter) } },
    );
  }
}
