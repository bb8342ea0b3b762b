/** Counters behind the API's own rate limits (fixed windows); and the retired request-budget table. */
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Fixed-window counters for rate limits (test connection, ...). */
export const rateLimits = sqliteTable("rate_limits", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
});

/**
 * No longer read or written: request budgets per provider account are kept by the RateBudgets
 * Durable Object (src/services/pacing/rate-budgets.ts), so that a provider call costs no D1 write.
 * The table stays declared so that no generated migration drops it unasked.
 */
export const rateBudgets = sqliteTable("rate_budgets", {
  key: text("key").primaryKey(),
  windowStart: integer("window_start").notNull(),
  count: integer("count").notNull(),
  previousCount: integer("previous_count").notNull().default(0),
});
