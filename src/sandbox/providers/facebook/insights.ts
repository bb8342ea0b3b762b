/**
 * Simulated Page insights and posts:
 * - `GET /{v}/{page-id}/insights?metric=a,b&period=day&since=&until=`: one value a day (its
 *   `end_time` the next midnight, Pacific, 08:00 UTC), at most 90 days between since and until
 *   (default: the last two days); metrics Meta has deprecated (`page_impressions`,
 *   `page_impressions_unique`, ...) get Graph's invalid-metric error, as they do since 2025.
 * - `GET /{v}/{page-id}/published_posts?fields=&limit=&after=&since=`: twelve posts a Page, one
 *   every five days up to today, newest first, cursor paged.
 * - `GET /{v}/{post-id}/insights?metric=...`: a post's lifetime metrics.
 * Insights need the Page's own Page token: a user token (from Facebook Login) or another Page's
 * token gets Graph's "must be called with a Page Access Token" error. Values are derived from
 * the Page, day and post, so every read agrees.
 */

import { simulator } from "../../lib.ts";
import { liveAccess } from "../../oauth/state.ts";
import { accessToken, graphError, invalidParam, rejectAuth, VERSION } from "./graph.ts";
import { pageOf, tokenPage } from "./pages.ts";

export const insights = simulator();

const DAY = 86_400;
const MAX_WINDOW = 90 * DAY;
const POSTS = 12;
const PAGE_METRICS = new Set([
  "page_media_view",
  "page_total_media_view_unique",
  "page_post_engagements",
  "page_follows",
  "page_views_total",
  "page_daily_follows_unique",
]);
const POST_METRICS = new Set([
  "post_media_view",
  "post_total_media_view_unique",
  "post_clicks",
  "post_reactions_by_type_total",
  "post_video_views",
]);

const seedOf = (id: string) => [...id].reduce((s, ch) => (s * 31 + ch.charCodeAt(0)) % 9973, 7);

/** Refuses what Graph refuses before reading insights: no usable token, or not this Page's. */
function pageTokenProblem(c: Parameters<typeof rejectAuth>[0], pageId: string): Response | null {
  const denied = rejectAuth(c, pageId);
  if (denied) return denied;
  const token = accessToken(c);
  const page = tokenPage(token);
  if ((page && page !== pageId) || (!page && liveAccess(token)))
    return graphError(400, {
      message: "(#190) This method must be called with a Page Access Token",
      code: 190,
    });
  return null;
}

/** The metric names asked for, or Graph's error for a missing or unknown one. */
function metrics(raw: string | undefined, known: Set<string>): string[] | Response {
  const names = (raw ?? "")
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean);
  if (!names.length)
    return graphError(400, {
      message:
        "(#100) No metric was specified to be fetched. Please specify one or more metrics to be fetched and try again.",
      code: 100,
      error_subcode: 1504028,
    });
  const bad = names.find((m) => !known.has(m));
  if (bad) return invalidParam(`(#100) The value must be a valid insights metric (${bad})`);
  return names;
}

const seconds = (v: string | undefined): number | null => {
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
};

const graphTime = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d+Z$/, "+0000");

/** A Page's value of a metric on the day that ends at `end` (unix seconds). */
function pageValue(pageId: string, metric: string, end: number): number {
  const d = Math.floor(end / DAY);
  const views = 120 + (seedOf(pageId) % 80) + (d % 7) * 15;
  if (metric === "page_total_media_view_unique") return Math.floor(views * 0.6);
  if (metric === "page_post_engagements") return Math.floor(views / 9);
  if (metric === "page_media_view") return views;
  return (d + seedOf(pageId)) % 5;
}

insights.get(`/${VERSION}/:page{[0-9]+}/insights`, (c) => {
  const pageId = c.req.param("page");
  const problem = pageTokenProblem(c, pageId);
  if (problem) return problem;
  if (!pageOf(pageId)) return invalidParam(`(#100) Object with ID '${pageId}' does not exist`);
  const names = metrics(c.req.query("metric"), PAGE_METRICS);
  if (names instanceof Response) return names;
  const period = c.req.query("period") ?? "day";
  if (period !== "day") return invalidParam("(#100) The sandbox answers period=day only");
  const now = Math.floor(Date.now() / 1000);
  const until = seconds(c.req.query("until")) ?? now;
  const since = seconds(c.req.query("since")) ?? until - 2 * DAY;
  if (until - since > MAX_WINDOW)
    return invalidParam("(#100) There cannot be more than 90 days (7776000 s) between since and until");
  // Day boundaries: midnight Pacific (08:00 UTC) after `since`, up to `until`.
  const ends: number[] = [];
  for (let end = Math.floor((since - 8 * 3600) / DAY) * DAY + DAY + 8 * 3600; end <= until; end += DAY)
    ends.push(end);
  return Response.json({
    data: names.map((name) => ({
      name,
      period,
      values: ends.map((end) => ({ value: pageValue(pageId, name, end), end_time: graphTime(end) })),
      title: `Daily ${name}`,
      description: `Daily: ${name} (sandbox)`,
      id: `${pageId}/insights/${name}/${period}`,
    })),
    paging: {
      previous: `${new URL(c.req.url).origin}${c.req.path}?since=${since - (until - since)}&until=${since}`,
      next: `${new URL(c.req.url).origin}${c.req.path}?since=${until}&until=${until + (until - since)}`,
    },
  });
});

/** The posts of a Page, newest first: post k (1..12) published (12 - k) × 5 days ago, at 10:00 UTC. */
function postsOf(pageId: string) {
  const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
  return Array.from({ length: POSTS }, (_, i) => {
    const k = POSTS - i;
    const suffix = String(900_000_000_000 + k);
    return {
      id: `${pageId}_${suffix}`,
      message: `Sandbox post ${k} of ${pageOf(pageId)?.name ?? pageId}`,
      created_time: graphTime(today - (POSTS - k) * 5 * DAY + 10 * 3600),
      permalink_url: `https://www.facebook.com/${pageId}/posts/${suffix}`,
    };
  });
}

const offsetOf = (after: string | undefined) => {
  try {
    const n = Number(atob(after ?? "").match(/^post:(\d+)$/)?.[1] ?? 0);
    return Number.isInteger(n) ? n : 0;
  } catch {
    return 0;
  }
};

insights.get(`/${VERSION}/:page{[0-9]+}/published_posts`, (c) => {
  const pageId = c.req.param("page");
  const problem = pageTokenProblem(c, pageId);
  if (problem) return problem;
  if (!pageOf(pageId)) return invalidParam(`(#100) Object with ID '${pageId}' does not exist`);
  const since = seconds(c.req.query("since"));
  const all = postsOf(pageId).filter((p) => since === null || Date.parse(p.created_time) / 1000 > since);
  const limit = Math.min(100, Math.max(1, Number(c.req.query("limit") ?? 25) || 25));
  const from = offsetOf(c.req.query("after"));
  const fields = (c.req.query("fields") ?? "id,message,created_time").split(",").map((f) => f.trim());
  const slice = all
    .slice(from, from + limit)
    .map((p) => Object.fromEntries(Object.entries(p).filter(([k]) => k === "id" || fields.includes(k))));
  const after = btoa(`post:${from + slice.length}`);
  const url = new URL(c.req.url);
  url.searchParams.set("after", after);
  return Response.json({
    data: slice,
    paging: {
      cursors: { before: btoa(`post:${from}`), after },
      ...(from + limit < all.length ? { next: url.toString() } : {}),
    },
  });
});

insights.get(`/${VERSION}/:post{[0-9]+_[0-9]+}/insights`, (c) => {
  const postId = c.req.param("post");
  const [pageId = "", suffix = ""] = postId.split("_");
  const problem = pageTokenProblem(c, pageId);
  if (problem) return problem;
  const k = Number(suffix) - 900_000_000_000;
  if (!pageOf(pageId) || !(k >= 1 && k <= POSTS))
    return invalidParam(`(#100) Object with ID '${postId}' does not exist`);
  const names = metrics(c.req.query("metric"), POST_METRICS);
  if (names instanceof Response) return names;
  const views = 200 + ((seedOf(pageId) + k * 37) % 300);
  const value = (name: string): unknown => {
    if (name === "post_media_view") return views;
    if (name === "post_total_media_view_unique") return Math.floor(views * 0.7);
    if (name === "post_clicks") return Math.floor(views / 20);
    if (name === "post_reactions_by_type_total") return { like: 5 + (k % 4), love: k % 3, wow: 1 };
    return 0;
  };
  return Response.json({
    data: names.map((name) => ({
      name,
      period: "lifetime",
      values: [{ value: value(name) }],
      title: `Lifetime ${name}`,
      description: `Lifetime: ${name} (sandbox)`,
      id: `${postId}/insights/${name}/lifetime`,
    })),
    paging: { previous: "", next: "" },
  });
});
