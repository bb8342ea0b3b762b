/** Request id, structured logger, services and the access log line, for every request. */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";
import { prefixedId } from "../lib/ids.ts";
import { createLogger } from "../lib/log.ts";
import { createServices } from "../services/index.ts";

const INCOMING_ID_RE = /^[A-Za-z0-9._-]{8,64}$/;
/** What a D1 bookmark looks like (hex groups and dashes); anything else is ignored. */
const BOOKMARK_RE = /^[0-9A-Za-z-]{1,200}$/;
const READS = new Set(["GET", "HEAD", "OPTIONS"]);
/** A request slower than this gets its access line whatever LOG_REQUESTS says. */
const SLOW_REQUEST_MS = 1_000;

/**
 * The D1 session of a request (D1's Sessions API): a read with no bookmark may be answered by
 * any read replica ("first-unconstrained"); a write starts at the primary; a request carrying
 * the `X-D1-Bookmark` of an earlier answer reads a copy at least that new, so a client sees its
 * own writes. Each answer carries the session's latest bookmark.
 */
function sessionOf(db: D1Database, method: string, bookmark: string | undefined): D1DatabaseSession | null {
  if (typeof db.withSession !== "function") return null;
  const start = bookmark && BOOKMARK_RE.test(bookmark) ? bookmark : undefined;
  try {
    return db.withSession(start ?? (READS.has(method) ? "first-unconstrained" : "first-primary"));
  } catch {
    // A bookmark D1 does not accept: start at the primary, which is never behind.
    return db.withSession("first-primary");
  }
}

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && INCOMING_ID_RE.test(incoming) ? incoming : prefixedId("req");
  const log = createLogger({ request_id: requestId });
  c.set("requestId", requestId);
  c.set("log", log);
  const bookmark = c.req.header("x-d1-bookmark");
  const session = sessionOf(c.env.DB, c.req.method, bookmark);
  // A client that sends a bookmark asks to see its own writes: its reads skip the caches.
  c.set("services", createServices(c.env, requestId, session ?? c.env.DB, { cacheReads: !bookmark }));
  const started = Date.now();
  await next();
  c.header("X-Request-Id", requestId);
  const latest = session?.getBookmark();
  if (latest) c.header("X-D1-Bookmark", latest);
  // A line for every request costs each one more than its auth; Workers' invocation logs have
  // them all, so by default the hub writes the ones worth reading (LOG_REQUESTS=all: every one).
  const ms = Date.now() - started;
  if (c.res.status >= 400 || ms >= SLOW_REQUEST_MS || c.get("services").settings.LOG_REQUESTS === "all")
    log.info("request", {
      method: c.req.method,
      path: new URL(c.req.url).pathname,
      status: c.res.status,
      ms,
    });
});
