/**
 * A host app's webhook receiver, for event deliveries in development and tests: every request
 * to `/_receiver/<bucket>` is recorded (method, headers, raw body) and answered with a status
 * the URL asks for:
 *
 * - `?status=500` answers 500 (any 100–599; a 3xx carries a Location header);
 * - `?status=500&times=2` answers 500 to the bucket's first two requests, then 200;
 * - `?retry_after=120` adds a Retry-After header to a failure;
 * - `?hang=1` never answers in time (the sender's timeout fires first).
 *
 * `GET /_receiver/<bucket>/requests` lists what the bucket received, oldest first.
 */
import { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { hang } from "./lib.ts";

export interface ReceivedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: Record<string, string>;
  /** The raw body, byte for byte as text (what a signature covers). */
  body: string;
  at: string;
}

const buckets = new Map<string, ReceivedRequest[]>();
const MAX_BUCKETS = 1000;
const MAX_PER_BUCKET = 200;

function record(bucket: string, entry: ReceivedRequest): number {
  let list = buckets.get(bucket);
  if (!list) {
    if (buckets.size >= MAX_BUCKETS) {
      const oldest = buckets.keys().next().value;
      if (oldest !== undefined) buckets.delete(oldest);
    }
    list = [];
    buckets.set(bucket, list);
  }
  list.push(entry);
  if (list.length > MAX_PER_BUCKET) list.shift();
  return list.length;
}

export const receiver = new Hono<{ Bindings: Env }>();

receiver.get("/:bucket/requests", (c) => c.json({ requests: buckets.get(c.req.param("bucket")) ?? [] }));

receiver.delete("/:bucket/requests", (c) => {
  buckets.delete(c.req.param("bucket"));
  return c.body(null, 204);
});

receiver.all("/:bucket", async (c) => {
  const url = new URL(c.req.url);
  const n = record(c.req.param("bucket"), {
    method: c.req.method,
    url: `${url.pathname}${url.search}`,
    headers: Object.fromEntries(c.req.raw.headers),
    body: new TextDecoder().decode(await c.req.arrayBuffer()),
    at: new Date().toISOString(),
  });
  if (c.req.query("hang")) await hang();
  const asked = Number(c.req.query("status") ?? 200);
  const times = c.req.query("times");
  const status =
    Number.isInteger(asked) && asked >= 100 && asked <= 599 && (times === undefined || n <= Number(times))
      ? asked
      : 200;
  if (status >= 200 && status < 300) return c.json({ received: true, n }, status as ContentfulStatusCode);
  if (status >= 300 && status < 400) {
    c.header("location", "https://example.com/elsewhere");
    return c.body(null, status as 301);
  }
  const retryAfter = c.req.query("retry_after");
  if (retryAfter) c.header("retry-after", retryAfter);
  return c.json({ error: `receiver answered ${status} as asked`, n }, status as ContentfulStatusCode);
});
