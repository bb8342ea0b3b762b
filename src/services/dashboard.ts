/**
 * The organization's dashboard: messages and webhooks a day over the last days (by their status
 * now), and the latest sync runs. Each count walks an index in id order from the first id of the
 * period (ids are time-ordered, src/lib/ids.ts), so it reads only the period's rows.
 */
import { and, count, desc, eq, gte, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client.ts";
import { integrations, messages, syncJobs, webhookEvents } from "../db/schema.ts";
import type { Shards } from "../db/shards.ts";

const DAY_MS = 86_400_000;

/** The smallest prefixed id made at or after `ms` (`prefix_` and the 12 hex digits of the millisecond). */
const firstIdAt = (prefix: string, ms: number) => `${prefix}_${ms.toString(16).padStart(12, "0")}`;

/** Per day (UTC, oldest first), each status's count. */
export type Daily = { date: string; total: number; by_status: Record<string, number> }[];

export class Dashboard {
  constructor(
    private readonly db: Db,
    private readonly shards: Shards,
  ) {}

  async summary(orgId: string, days: number, now = Date.now()) {
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const from = today - (days - 1) * DAY_MS;
    const dates = Array.from({ length: days }, (_, i) =>
      new Date(from + i * DAY_MS).toISOString().slice(0, 10),
    );
    const [sent, received, runs] = await Promise.all([
      perDay(this.db, messages, messages.createdAt, "msg", orgId, from),
      perDay(this.shards.of(orgId), webhookEvents, webhookEvents.receivedAt, "whe", orgId, from),
      this.db
        .select({ job: syncJobs, integrationName: integrations.name })
        .from(syncJobs)
        .leftJoin(integrations, eq(integrations.id, syncJobs.integrationId))
        .where(eq(syncJobs.orgId, orgId))
        .orderBy(desc(syncJobs.id))
        .limit(10),
    ]);
    return { dates, messages: daily(dates, sent), webhooks: daily(dates, received), runs };
  }
}

/** A table's rows of one organization since `from`, counted by day (of `at`) and status. */
function perDay(
  db: Db,
  table: typeof messages | typeof webhookEvents,
  at: SQLiteColumn,
  prefix: string,
  orgId: string,
  from: number,
): Promise<{ day: string; status: string; n: number }[]> {
  return db
    .select({ day: sql<string>`substr(${at}, 1, 10)`, status: table.status, n: count() })
    .from(table)
    .where(and(eq(table.orgId, orgId), gte(table.id, firstIdAt(prefix, from))))
    .groupBy(sql`1`, table.status);
}

function daily(dates: string[], rows: { day: string; status: string; n: number }[]): Daily {
  const byDay = new Map(
    dates.map((d) => [d, { date: d, total: 0, by_status: {} as Record<string, number> }]),
  );
  for (const r of rows) {
    const day = byDay.get(r.day);
    if (!day) continue;
    day.total += r.n;
    day.by_status[r.status] = (day.by_status[r.status] ?? 0) + r.n;
  }
  return [...byDay.values()];
}
