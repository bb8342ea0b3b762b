/**
 * Delivery analytics (GET /api/messages/analytics): the organization's outbound messages of a
 * period, grouped by day, integration or channel: how many were sent, delivered, failed and
 * bounced, opened and clicked (where the provider reports them, from the messages' timelines),
 * the delivery rate (of groups whose providers report delivery at all: a channel that sends no
 * receipts, such as Telegram, has none rather than 0) and the median time from sent to delivered. The period's messages are read
 * by id (ids are time-ordered, src/lib/ids.ts), so only its rows are walked.
 */
import { and, eq, gte, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { messageEvents, messages } from "../../db/schema.ts";

export type GroupBy = "day" | "integration" | "channel";

/** Receipt words that mean the recipient opened or clicked, across providers. */
const OPENED = ["open", "opened", "read"];
const CLICKED = ["click", "clicked"];
const BOUNCED = ["bounce", "bounced", "hard_bounce", "soft_bounce", "failed", "undelivered"];

/** The smallest prefixed id made at or after `ms`. */
const firstIdAt = (ms: number) => `msg_${ms.toString(16).padStart(12, "0")}`;

/**
 * How many of the group's messages have a receipt with one of `words`. The outer message is
 * named with its table (drizzle writes a lone table's columns unqualified, which inside the
 * subquery would name message_events' own).
 */
const receipt = (words?: string[]) =>
  sql<number>`sum(exists (select 1 from ${messageEvents} e where e.message_id = ${sql.raw('"messages"."id"')} and e.step = 'receipt'${words ? sql` and e.detail in ${words}` : sql``}))`;

export interface AnalyticsRow {
  key: string;
  total: number;
  sent: number;
  delivered: number;
  failed: number;
  bounced: number;
  opened: number;
  clicked: number;
  delivery_rate: number | null;
  median_delivery_seconds: number | null;
  reported: number;
}

export class MessageAnalytics {
  constructor(private readonly db: Db) {}

  async report(orgId: string, opts: { from: number; to: number; groupBy: GroupBy }) {
    const key =
      opts.groupBy === "day"
        ? sql<string>`substr(${messages.createdAt}, 1, 10)`
        : opts.groupBy === "integration"
          ? sql<string>`${messages.integrationId}`
          : sql<string>`${messages.channel}`;
    const period = and(
      eq(messages.orgId, orgId),
      eq(messages.direction, "outbound"),
      gte(messages.id, firstIdAt(opts.from)),
      lt(messages.id, firstIdAt(opts.to)),
    );
    const [counts, durations] = await Promise.all([
      this.db
        .select({
          key,
          total: sql<number>`count(*)`,
          sent: sql<number>`sum(${messages.sentAt} is not null or ${messages.status} in ('sent', 'delivered'))`,
          delivered: sql<number>`sum(${messages.status} = 'delivered')`,
          failed: sql<number>`sum(${messages.status} = 'failed')`,
          bounced: receipt(BOUNCED),
          opened: receipt(OPENED),
          clicked: receipt(CLICKED),
          // With any receipt: a channel whose provider reports none has no delivery rate.
          reported: receipt(),
        })
        .from(messages)
        .where(period)
        .groupBy(sql`1`)
        .orderBy(sql`1`),
      // Seconds from sent to delivered, each delivered message's, for the medians.
      this.db
        .select({
          key,
          seconds: sql<number>`(julianday(${messages.deliveredAt}) - julianday(${messages.sentAt})) * 86400`,
        })
        .from(messages)
        .where(and(period, isNotNull(messages.sentAt), isNotNull(messages.deliveredAt)))
        .orderBy(sql`1`, sql`2`),
    ]);
    const byKey = new Map<string, number[]>();
    const all: number[] = [];
    for (const d of durations) {
      all.push(Math.max(0, d.seconds));
      const list = byKey.get(d.key) ?? [];
      list.push(Math.max(0, d.seconds));
      byKey.set(d.key, list);
    }
    const rows: AnalyticsRow[] = counts.map((c) => {
      const sent = Number(c.sent ?? 0);
      const delivered = Number(c.delivered ?? 0);
      return {
        key: c.key,
        total: Number(c.total),
        sent,
        delivered,
        failed: Number(c.failed ?? 0),
        bounced: Number(c.bounced ?? 0),
        opened: Number(c.opened ?? 0),
        clicked: Number(c.clicked ?? 0),
        delivery_rate:
          sent && Number(c.reported ?? 0) ? Math.round((delivered / sent) * 10_000) / 10_000 : null,
        median_delivery_seconds: median(byKey.get(c.key) ?? []),
        reported: Number(c.reported ?? 0),
      };
    });
    const sum = (k: "total" | "sent" | "delivered" | "failed" | "bounced" | "opened" | "clicked") =>
      rows.reduce((n, r) => n + r[k], 0);
    const sent = sum("sent");
    // The rate over the groups that report delivery at all.
    const rated = rows.filter((r) => r.reported);
    const ratedSent = rated.reduce((n, r) => n + r.sent, 0);
    const totals = {
      total: sum("total"),
      sent,
      delivered: sum("delivered"),
      failed: sum("failed"),
      bounced: sum("bounced"),
      opened: sum("opened"),
      clicked: sum("clicked"),
      delivery_rate: ratedSent ? Math.round((sum("delivered") / ratedSent) * 10_000) / 10_000 : null,
      median_delivery_seconds: median(all.sort((a, b) => a - b)),
    };
    return { groups: rows.map(({ reported: _, ...r }) => r), totals };
  }
}

/** The median of sorted numbers, to the millisecond; null when there are none. */
function median(sorted: number[]): number | null {
  if (!sorted.length) return null;
  const mid = Math.floor(sorted.length / 2);
  const m =
    sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(m * 1000) / 1000;
}
