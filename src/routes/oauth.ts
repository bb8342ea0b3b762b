/**
 * OAuth connection routes (003) and connect sessions:
 * - `GET /api/integrations/{provider}/auth` starts a connection: with an admin key (Bearer) or a
 *   connect session token (`?session=`, for a browser that navigates there); 302 to the
 *   provider, or `?format=json` → `{url}` for SPA clients.
 * - `GET /api/integrations/{provider}/callback` is public (the provider's redirect carries no
 *   key; the single-use state authenticates it): 302 back to the return URL with
 *   `success=true&provider=…&integration_id=…` or `success=false&provider=…&error=…`. A state that
 *   is missing or unknown has no trustworthy return URL: a small readable page (or JSON) with 400.
 * - `POST /api/connect-sessions` (admin key) mints a 15-minute, single-organization token.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError, ErrorCode, errorBody } from "../errors.ts";
import { orgAuth } from "../middleware/auth.ts";
import { getProvider, PROVIDERS } from "../providers/registry.ts";
import type { CallbackResult } from "../services/oauth.ts";
import { publicUrl } from "./integrations/input.ts";
import { createRouter, errorResponses, jsonBody, jsonResponse, security } from "./openapi.ts";

export const oauthApi = createRouter();
export const connectSessionsApi = createRouter();
const tags = ["OAuth"];

const CALLBACK_RE = /^\/api\/integrations\/[^/]+\/callback\/?$/;
const AUTH_RE = /^\/api\/integrations\/[^/]+\/auth\/?$/;
const CURRENT_SESSION_PATH = "/api/connect-sessions/current";

/**
 * Routes under /api that authenticate themselves: the callback (the state does), and `/auth`
 * when it carries a connect session instead of an API key.
 */
export function oauthPublicRoute(c: Context<AppEnv>): boolean {
  if (c.req.method !== "GET") return false;
  if (CALLBACK_RE.test(c.req.path)) return true;
  if (c.req.path === CURRENT_SESSION_PATH) return !c.req.header("authorization");
  return AUTH_RE.test(c.req.path) && !c.req.header("authorization") && c.req.query("session") !== undefined;
}

const OAUTH_PROVIDER_IDS = Object.values(PROVIDERS)
  .filter((p) => p.oauth)
  .map((p) => p.id);

const ProviderParam = z.object({
  provider: z.string().openapi({ param: { name: "provider", in: "path" }, example: "hubspot" }),
});

const AuthQuery = z.object({
  integration_id: z
    .string()
    .optional()
    .openapi({ description: "Connect this integration; without it a new one is created on success" }),
  return_to: z.string().optional().openapi({
    description:
      "Where the browser is sent back: this deployment's origin or one in OAUTH_RETURN_ORIGINS (default: PUBLIC_URL + /integrations)",
  }),
  session: z
    .string()
    .optional()
    .openapi({ description: "A connect session token (`sbcs_…`), instead of an API key" }),
  format: z
    .enum(["json", "redirect"])
    .optional()
    .openapi({ description: "`json` answers `{url}` instead of a 302" }),
});

function oauthProviderOf(id: string) {
  const p = getProvider(id);
  if (!p) {
    throw new ApiError(ErrorCode.UNKNOWN_PROVIDER, `Unknown provider "${id}"`, {
      issues: [{ path: "provider", message: "unknown provider" }],
    });
  }
  if (!p.oauth) throw new ApiError(ErrorCode.BAD_REQUEST, `${p.displayName} does not connect with OAuth`);
  return p;
}

oauthApi.openapi(
  createRoute({
    method: "get",
    path: "/{provider}/auth",
    tags,
    security: [...security, {}],
    summary: "Start an OAuth connection: redirects to the provider (admin key or connect session)",
    request: { params: ProviderParam, query: AuthQuery },
    responses: {
      200: jsonResponse(
        z.object({ url: z.string(), expires_at: z.string() }),
        "With format=json: the provider's authorize URL",
      ),
      302: { description: "Redirect to the provider's authorization page" },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { provider: providerId } = c.req.valid("param");
    const q = c.req.valid("query");
    const provider = oauthProviderOf(providerId);
    const services = c.get("services");
    let orgId: string;
    let actor: string;
    let returnTo = q.return_to;
    const auth = c.get("auth");
    if (auth) {
      const key = orgAuth(c);
      if (key.role !== "admin") {
        throw new ApiError(
          ErrorCode.FORBIDDEN,
          "This API key is read-only (role member); connecting needs an admin key",
        );
      }
      orgId = key.orgId;
      actor = key.actor;
    } else {
      let session: Awaited<ReturnType<typeof services.connectSessions.authenticate>>;
      try {
        session = await services.connectSessions.authenticate(q.session ?? "", provider.id);
      } catch (e) {
        // A browser sent here by a connect link gets the reason as a page, not as JSON.
        if (!(e instanceof ApiError) || q.format === "json" || !wantsHtml(c)) throw e;
        c.header("Cache-Control", "no-store");
        return c.html(refusedPage(e.message), e.status as 401) as never;
      }
      orgId = session.orgId;
      actor = session.actor;
      returnTo ??= session.returnTo ?? undefined;
    }
    const started = await services.oauth.start(orgId, provider.id, {
      integrationId: q.integration_id || undefined,
      returnTo,
      actor,
      publicUrl: publicUrl(c),
    });
    c.header("Cache-Control", "no-store");
    if (q.format === "json") {
      return c.json({ url: started.url, expires_at: new Date(started.expiresAt).toISOString() }, 200);
    }
    return c.redirect(started.url, 302);
  },
);

const CallbackQuery = z.object({
  state: z.string().optional(),
  code: z.string().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});

/** Whether the client is a browser navigating (it asks for HTML before JSON). */
const wantsHtml = (c: Context<AppEnv>) => {
  const accept = c.req.header("accept") ?? "";
  return accept.includes("text/html") && !accept.startsWith("application/json");
};

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function refusedPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Connection not completed</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="stylesheet" href="/ui/page.css"></head>
<body><h1>Connection not completed</h1><p id="error">${esc(message)}</p>
<p>You can close this page and start the connection again from the application.</p></body></html>`;
}

function returnUrl(result: CallbackResult): string {
  const url = new URL(result.returnTo);
  url.searchParams.set("success", String(result.success));
  url.searchParams.set("provider", result.provider);
  if (result.integrationId) url.searchParams.set("integration_id", result.integrationId);
  if (result.error) url.searchParams.set("error", result.error);
  return url.toString();
}

oauthApi.openapi(
  createRoute({
    method: "get",
    path: "/{provider}/callback",
    tags,
    security: [],
    summary: "OAuth redirect target: exchanges the code and sends the browser back to the return URL",
    request: { params: ProviderParam, query: CallbackQuery },
    responses: {
      302: {
        description:
          "To the return URL with `success=true&provider=…&integration_id=…` or `success=false&provider=…&error=<readable message>`",
      },
      400: {
        description: "Missing, unknown or forged state: a readable page (JSON with Accept: application/json)",
        content: { "text/html": { schema: z.string() } },
      },
    },
  }),
  async (c) => {
    const { provider } = c.req.valid("param");
    const query = new URL(c.req.url).searchParams;
    let result: CallbackResult;
    try {
      result = await c.get("services").oauth.callback(provider, query, { publicUrl: publicUrl(c) });
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      c.get("log").warn("oauth callback refused", { provider, reason: e.message });
      c.header("Cache-Control", "no-store");
      if ((c.req.header("accept") ?? "").includes("application/json")) {
        return c.json(errorBody(c, e), e.status as 400) as never;
      }
      return c.html(refusedPage(e.message), e.status as 400) as never;
    }
    if (!result.success) c.get("log").info("oauth connection failed", { provider, reason: result.error });
    c.header("Cache-Control", "no-store");
    c.header("Referrer-Policy", "no-referrer");
    return c.redirect(returnUrl(result), 302);
  },
);

// ---- connect sessions ----------------------------------------------------------------------

const ConnectSessionBody = z
  .object({
    allowed_providers: z
      .array(z.string())
      .max(50)
      .optional()
      .openapi({
        description: "OAuth providers the session may connect; all when omitted",
        example: ["hubspot"],
      }),
    return_to: z
      .string()
      .max(2048)
      .optional()
      .openapi({ description: "Default return URL of flows the session starts (same origin rule as /auth)" }),
  })
  .openapi("ConnectSessionCreate");

const ConnectSessionResponse = z
  .object({
    id: z.string(),
    token: z.string().openapi({ description: "Shown once; send it as `?session=` to /auth" }),
    expires_at: z.string(),
    allowed_providers: z.array(z.string()).nullable(),
    connect_url: z.string().openapi({ description: "The web UI, opened with this session" }),
  })
  .openapi("ConnectSession");

connectSessionsApi.openapi(
  createRoute({
    method: "post",
    path: "/",
    tags,
    security,
    summary: "Mint a 15-minute connect session a browser uses instead of an API key (admin key)",
    request: { body: jsonBody(ConnectSessionBody) },
    responses: {
      201: jsonResponse(ConnectSessionResponse, "The session; the token is shown only here"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const auth = orgAuth(c);
    if (auth.role !== "admin") throw new ApiError(ErrorCode.FORBIDDEN, "Connect sessions need an admin key");
    const body = c.req.valid("json");
    const issues = (body.allowed_providers ?? []).flatMap((id, i) =>
      OAUTH_PROVIDER_IDS.includes(id)
        ? []
        : [{ path: `allowed_providers.${i}`, message: `not an OAuth provider: ${id}` }],
    );
    if (issues.length) {
      const first = issues[0] as { path: string; message: string };
      throw new ApiError(ErrorCode.INVALID_FIELD, `${first.path}: ${first.message}`, { issues });
    }
    const services = c.get("services");
    const base = publicUrl(c);
    const returnTo = body.return_to !== undefined ? services.oauth.checkReturnTo(body.return_to, base) : null;
    const s = await services.connectSessions.create(auth.orgId, {
      allowedProviders: body.allowed_providers ?? null,
      returnTo,
      actor: auth.actor,
    });
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        id: s.id,
        token: s.token,
        expires_at: new Date(s.expiresAt).toISOString(),
        allowed_providers: s.allowedProviders,
        connect_url: `${services.oauth.publicUrl(base)}/integrations?session=${encodeURIComponent(s.token)}`,
      },
      201,
    );
  },
);

const CurrentSessionQuery = z.object({
  session: z.string().max(200).openapi({ description: "The connect session token (`sbcs_…`)" }),
});

connectSessionsApi.openapi(
  createRoute({
    method: "get",
    path: "/current",
    tags,
    security: [],
    summary: "What a connect session token may do: the connect page reads it before it shows anything",
    description:
      "Authenticated by the token itself (`?session=`), no API key. An unknown or expired token is 401 with the reason in words.",
    request: { query: CurrentSessionQuery },
    responses: {
      200: jsonResponse(
        z
          .object({
            expires_at: z.string(),
            allowed_providers: z
              .array(z.string())
              .openapi({ description: "The OAuth providers the session may connect" }),
          })
          .openapi("CurrentConnectSession"),
        "The session",
      ),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { session } = c.req.valid("query");
    const s = await c.get("services").connectSessions.lookup(session);
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        expires_at: new Date(s.expiresAt).toISOString(),
        allowed_providers: s.allowedProviders ?? OAUTH_PROVIDER_IDS,
      },
      200,
    );
  },
);
