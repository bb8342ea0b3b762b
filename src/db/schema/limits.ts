/** Counters behind rate limits: the API's own fixed windows, and request budgets per provider account. */
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Fixed-window counters for rate limits (test connection, ...). */
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});

/**
 * Request budgets per provider account: a sliding window of two fixed windows (the previous
 * window's count, weighted by its overlap, plus the current one's).
 */
export const rateBudgets = sqliteTable("rate_budgets", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
  previousCount: integer("previous_count").notNull().default(0),
});
