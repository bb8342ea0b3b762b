/**
 * Builds the Hono app: request context, body guards, authentication, the sub-apps of both
 * dialects, the operator API, /health and /docs, and the one error handler. The routes describe
 * themselves for the OpenAPI document (src/openapi/), which is written ahead of time.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import type { AppEnv } from "./context.ts";
import { ApiError, ErrorCode, onError } from "./errors.ts";
import { requireAdminToken, requireOrgKey } from "./middleware/auth.ts";
import { limitBody, requireJsonBody } from "./middleware/body.ts";
import { requestContext } from "./middleware/request.ts";
import { securityHeaders } from "./middleware/security-headers.ts";
import { adminApi } from "./routes/admin/index.ts";
import { auditApi } from "./routes/audit.ts";
import { calendarApi } from "./routes/calendar.ts";
import { compatApi } from "./routes/compat/index.ts";
import { dashboardApi } from "./routes/dashboard.ts";
import { docsPage } from "./routes/docs.ts";
import { eventEndpointsApi, eventsApi } from "./routes/event-endpoints.ts";
import { healthApi } from "./routes/health.ts";
import { integrationsApi } from "./routes/integrations/index.ts";
import { deadLettersApi, jobsApi } from "./routes/jobs.ts";
import { messagesApi } from "./routes/messages.ts";
import { connectSessionsApi, oauthApi, oauthPublicRoute } from "./routes/oauth.ts";
import { proxyApi } from "./routes/proxy.ts";
import { signupApi } from "./routes/signup.ts";
import { suppressionsApi } from "./routes/suppressions.ts";
import { syncApi } from "./routes/sync.ts";
import { templatesApi } from "./routes/templates.ts";
import { tokensApi } from "./routes/tokens.ts";
import { webhookLogsApi } from "./routes/webhook-logs.ts";
import { webhooksApi } from "./routes/webhooks.ts";

/** Paths of the 001 dialect, which authenticate like the REST API. */
const COMPAT_PATHS = [
  "/organization-integrations",
  "/organization-integration/*",
  "/create-organization-integration",
  "/update-organization-integration",
  "/delete-organization-integration",
  "/toggle-organization-integration",
];

/** Routes under /api that need no key. */
const PUBLIC_API = new Set(["/api/integrations/providers", "/api/integrations/providers/"]);

/** The app's parts that differ per entry. */
export interface AppOptions {
  /** Mounts extra sub-apps after the API and before the 001 dialect (the development entry's). */
  mount?: (app: OpenAPIHono<AppEnv>) => void;
}

/** The hub's Hono app; `opts.mount` adds the development entry's routes. */
export function createApp(opts: AppOptions = {}) {
  const app = new OpenAPIHono<AppEnv>({ strict: false });
  // A bare route, before any middleware: the benchmark's baseline.
  app.get("/ping", (c) => c.text("ok"));
  app.use("*", securityHeaders);
  app.use("*", requestContext);
  app.route("/", healthApi);
  // Provider webhooks: public (the signature authenticates), any content type, 256 KiB at most.
  app.route("/", webhooksApi);
  // Sign-up pages: public submissions (CORS per page), 64 KiB at most.
  app.route("/", signupApi);

  // Browser clients (001's React app, the web UI elsewhere) call with a bearer key, never
  // cookies, so any origin may call; preflights are answered before authentication.
  for (const p of ["/api/*", ...COMPAT_PATHS]) {
    app.use(
      p,
      cors({
        origin: "*",
        allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allowHeaders: [
          "Authorization",
          "Content-Type",
          "X-Org-ID",
          "X-Request-Id",
          "Idempotency-Key",
          "X-D1-Bookmark",
        ],
        exposeHeaders: ["X-Request-Id", "Retry-After", "X-Switchboard-Proxy-Attempts", "X-D1-Bookmark"],
        maxAge: 600,
      }),
    );
  }
  for (const p of ["/api/*", "/admin/*", ...COMPAT_PATHS]) app.use(p, limitBody(), requireJsonBody);
  app.use("/admin/*", requireAdminToken);
  app.use("/api/*", async (c, next) => {
    if (c.req.method === "GET" && PUBLIC_API.has(c.req.path)) return next();
    // The OAuth callback (its state authenticates it) and /auth with a connect session.
    if (oauthPublicRoute(c)) return next();
    return requireOrgKey(c, next);
  });
  for (const p of COMPAT_PATHS) app.use(p, requireOrgKey);

  app.route("/admin", adminApi);
  app.route("/api/integrations", proxyApi);
  app.route("/api/integrations", oauthApi);
  app.route("/api/connect-sessions", connectSessionsApi);
  app.route("/api/integrations", tokensApi);
  app.route("/api/integrations", syncApi);
  app.route("/api/integrations", calendarApi);
  app.route("/api/integrations", integrationsApi);
  app.route("/api/audit-logs", auditApi);
  app.route("/api/dashboard", dashboardApi);
  app.route("/api/dead-letters", deadLettersApi);
  app.route("/api/jobs", jobsApi);
  app.route("/api/messages", messagesApi);
  app.route("/api/templates", templatesApi);
  app.route("/api/suppressions", suppressionsApi);
  app.route("/api/event-endpoints", eventEndpointsApi);
  app.route("/api/events", eventsApi);
  app.route("/api/integrations", webhookLogsApi);

  // The development entry's routes (src/dev.ts); the production entry mounts nothing here.
  opts.mount?.(app);
  app.route("/", compatApi);

  // GET /openapi.json is the static asset public/openapi.json, written from these routes ahead of
  // time (src/openapi/): the Worker never builds the document.
  app.get("/docs", docsPage);

  app.notFound((c) =>
    onError(new ApiError(ErrorCode.NOT_FOUND, `No route for ${c.req.method} ${c.req.path}`), c),
  );
  app.onError(onError);
  return app;
}
