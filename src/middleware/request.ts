/** Request id, structured logger, services and the access log line, for every request. */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../context.ts";
import { prefixedId } from "../lib/ids.ts";
import { createLogger } from "../lib/log.ts";
import { createServices } from "../services/index.ts";

const INCOMING_ID_RE = /^[A-Za-z0-9._-]{8,64}$/;

export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && INCOMING_ID_RE.test(incoming) ? incoming : prefixedId("req");
  const log = createLogger({ request_id: requestId });
  c.set("requestId", requestId);
  c.set("log", log);
  c.set("services", createServices(c.env, requestId));
  const started = Date.now();
  await next();
  c.header("X-Request-Id", requestId);
  log.info("request", {
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    status: c.res.status,
    ms: Date.now() - started,
  });
});
