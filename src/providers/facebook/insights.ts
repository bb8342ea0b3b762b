/**
 * Facebook Page insights as records (entity `insights`): the chosen Page's metrics per day from
 * `GET /{page-id}/insights?metric=...&period=day&since=&until=` (at most 90 days a call), then
 * each published post's lifetime metrics from `GET /{post-id}/insights`, for the posts of
 * `GET /{page-id}/published_posts` (25 a page, cursor paging). Metric names are the current ones:
 * Meta replaced `page_impressions`/`post_impressions` and their `_unique` forms with the views
 * metrics (Page Insights "deprecated metrics", 2025): views `page_media_view`/`post_media_view`
 * are the impressions, viewers `page_total_media_view_unique`/`post_total_media_view_unique` the
 * reach; a Page's engagements are `page_post_engagements`, a post's its reactions
 * (`post_reactions_by_type_total`) plus its clicks (`post_clicks`).
 *
 * Incremental runs read the days since the last run less two (values settle over 48 hours) and
 * the posts published in the 28 days before it (their lifetime counts keep growing).
 */
import { field, type ProviderContext, ProviderError } from "../runtime.ts";
import {
  day,
  type InsightData,
  isoFrom,
  type ProviderSync,
  type SyncItem,
  type SyncPage,
  str,
} from "../sync.ts";
import { graph, node } from "./graph.ts";

export const PAGE_METRICS = ["page_media_view", "page_total_media_view_unique", "page_post_engagements"];
export const POST_METRICS = [
  "post_media_view",
  "post_total_media_view_unique",
  "post_clicks",
  "post_reactions_by_type_total",
];

const DAY_MS = 86_400_000;
/** Graph reads at most 90 days of a metric in one call. */
const WINDOW_DAYS = 90;
const SETTLE_MS = 2 * DAY_MS;
const POST_LOOKBACK_MS = 28 * DAY_MS;
export const POSTS_PER_PAGE = 25;

interface PostsCursor {
  phase: "posts";
  after?: string;
  /** Posts published after this (unix seconds), for incremental runs. */
  since?: number;
}

function pageIdOf(ctx: ProviderContext): string {
  const id = ctx.config.page_id;
  if ((typeof id === "string" && id) || typeof id === "number") return String(id);
  throw new ProviderError(
    "permanent",
    "Facebook: choose the Page first (GET /api/integrations/{id}/accounts, then POST .../accounts/select)",
  );
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** A metric's value: a number, or (reactions by type) the sum of an object's numbers. */
function total(v: unknown): number | null {
  if (v && typeof v === "object" && !Array.isArray(v))
    return Object.values(v).reduce<number>((s, x) => s + (num(x) ?? 0), 0);
  return num(v);
}

/** The Page's days: one record per day with the three metrics. */
async function pageDays(ctx: ProviderContext, pageId: string, since: string | null): Promise<SyncItem[]> {
  const now = Date.now();
  const floor = now - WINDOW_DAYS * DAY_MS + DAY_MS;
  const from = since ? Math.max(Date.parse(since) - SETTLE_MS, floor) : floor;
  const res = await graph(ctx, "Facebook", {
    path: `${node(pageId)}/insights`,
    query: {
      metric: PAGE_METRICS.join(","),
      period: "day",
      since: String(Math.floor(from / 1000)),
      until: String(Math.floor(now / 1000)),
    },
  });
  const days = new Map<string, Record<string, unknown>>();
  const data = field(res.data, "data");
  for (const metric of Array.isArray(data) ? data : []) {
    const name = str(field(metric, "name"));
    const values = field(metric, "values");
    if (!name || !Array.isArray(values)) continue;
    for (const v of values) {
      const end = isoFrom(field(v, "end_time"));
      if (!end) continue;
      const entry = days.get(end) ?? {};
      entry[name] = field(v, "value");
      days.set(end, entry);
    }
  }
  return [...days].map(([end, values]) => {
    // A day's value ends at `end_time`: it is the day before.
    const date = day(new Date(Date.parse(end) - DAY_MS).toISOString()) as string;
    const data: InsightData = {
      scope: "page",
      object_id: pageId,
      date,
      impressions: total(values.page_media_view),
      reach: total(values.page_total_media_view_unique),
      engagements: total(values.page_post_engagements),
    };
    return { externalId: `page:${pageId}:${date}`, data, raw: { end_time: end, values }, modifiedAt: end };
  });
}

/** One page of published posts, each with its lifetime metrics. */
async function posts(ctx: ProviderContext, pageId: string, c: PostsCursor): Promise<SyncPage> {
  const res = await graph(ctx, "Facebook", {
    path: `${node(pageId)}/published_posts`,
    query: {
      fields: "id,message,created_time,permalink_url",
      limit: String(POSTS_PER_PAGE),
      ...(c.after ? { after: c.after } : {}),
      ...(c.since ? { since: String(c.since) } : {}),
    },
  });
  const list = field(res.data, "data");
  const items: SyncItem[] = [];
  for (const post of Array.isArray(list) ? list : []) {
    const id = str(field(post, "id"));
    if (!id) continue;
    const insights = await graph(ctx, "Facebook", {
      path: `${node(id)}/insights`,
      query: { metric: POST_METRICS.join(",") },
    });
    const values: Record<string, unknown> = {};
    const rows = field(insights.data, "data");
    for (const m of Array.isArray(rows) ? rows : []) {
      const name = str(field(m, "name"));
      if (name) values[name] = field(m, "values", "0", "value");
    }
    const clicks = total(values.post_clicks);
    const reactions = total(values.post_reactions_by_type_total);
    const created = isoFrom(field(post, "created_time"));
    const data: InsightData = {
      scope: "post",
      object_id: id,
      date: created ? created.slice(0, 10) : null,
      impressions: total(values.post_media_view),
      reach: total(values.post_total_media_view_unique),
      engagements: clicks === null && reactions === null ? null : (clicks ?? 0) + (reactions ?? 0),
      message: str(field(post, "message"))?.slice(0, 4000) ?? null,
      permalink: str(field(post, "permalink_url")),
    };
    items.push({ externalId: `post:${id}`, data, raw: { post, insights: values }, modifiedAt: created });
  }
  const after = str(field(res.data, "paging", "cursors", "after"));
  const more = typeof field(res.data, "paging", "next") === "string" && after;
  return { items, next: more ? JSON.stringify({ ...c, after }) : null };
}

function parseCursor(cursor: string): PostsCursor {
  try {
    const c = JSON.parse(cursor) as PostsCursor;
    if (c.phase === "posts") return c;
  } catch {
    // falls through
  }
  throw new ProviderError("permanent", "Facebook: the sync cursor is not one this provider made");
}

/** The Page's insights: its days first, then its posts a page at a time. */
export const sync: ProviderSync = {
  entities: { insights: { kind: "insight", incremental: true, deletions: "tombstones" } },
  async page(ctx, req) {
    if (req.entity !== "insights")
      throw new ProviderError("permanent", `Facebook has no entity "${req.entity}"`);
    const pageId = pageIdOf(ctx);
    if (req.cursor) return posts(ctx, pageId, parseCursor(req.cursor));
    const since = req.since ? isoFrom(req.since) : null;
    const items = await pageDays(ctx, pageId, since);
    const postsSince = since ? Math.floor((Date.parse(since) - POST_LOOKBACK_MS) / 1000) : undefined;
    return { items, next: JSON.stringify({ phase: "posts", ...(postsSince ? { since: postsSince } : {}) }) };
  },
};
