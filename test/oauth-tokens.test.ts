/**
 * Keeping OAuth tokens fresh against the sandbox's authorization servers: one refresh request
 * for fifty concurrent users of an expired connection, rotation saved atomically, invalid_grant
 * marking the integration and emitting `integration.error`, the cron's 15-minute window, the
 * refresh-token route, and revocation on disconnect.
 *
 * Each test connects through its own OAuth app (client id) so the sandbox's per-client
 * counters (`/sandbox/_oauth/stats`) count only its requests. Tokens come straight from the
 * sandbox's token endpoint; the integration is created through the REST API with them, and its
 * expiry is moved into the past in D1.
 */
import { env, exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { createDb } from "../src/db/client.ts";
import { integrations } from "../src/db/schema.ts";
import type { ReceivedRequest } from "../src/sandbox/receiver.ts";
import { createServices } from "../src/services/index.ts";
import { call, newIntegration, newOrg, type TestOrg } from "./harness.ts";

const REDIRECT = "https://app.example.com/oauth/callback";
const FORM = "application/x-www-form-urlencoded";

interface Flow {
  authorize: string;
  token: string;
  scope: string;
  basic: boolean;
}

const FLOWS: Record<string, Flow> = {
  hubspot: { authorize: "/oauth/authorize", token: "/oauth/v3/token", scope: "oauth", basic: false },
  xero: {
    authorize: "/identity/connect/authorize",
    token: "/connect/token",
    scope: "openid offline_access accounting.transactions",
    basic: true,
  },
  quickbooks: {
    authorize: "/connect/oauth2",
    token: "/oauth2/v1/tokens/bearer",
    scope: "com.intuit.quickbooks.accounting",
    basic: true,
  },
  google_calendar: {
    authorize: "/o/oauth2/v2/auth",
    token: "/token",
    scope: "https://www.googleapis.com/auth/calendar",
    basic: false,
  },
};

const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;
const newClient = (tag: string) => `tok-${tag}-${crypto.randomUUID().slice(0, 8)}`;

/** Runs the sandbox's authorization code flow (auto-approved) and returns its tokens. */
async function sandboxTokens(provider: string, clientId: string) {
  const f = FLOWS[provider] as Flow;
  const q = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: f.scope,
    sandbox_auto: "approve",
    ...(provider === "google_calendar" ? { access_type: "offline" } : {}),
  });
  const res = await fetchManual(`/sandbox/${provider}${f.authorize}?${q}`);
  const code = new URL(res.headers.get("location") as string).searchParams.get("code") as string;
  return tokenCall(provider, clientId, { grant_type: "authorization_code", code, redirect_uri: REDIRECT });
}

function fetchManual(path: string) {
  return exports.default.fetch(new Request(`https://hub.test${path}`, { redirect: "manual" }));
}

async function tokenCall(provider: string, clientId: string, params: Record<string, string>) {
  const f = FLOWS[provider] as Flow;
  const headers: Record<string, string> = {};
  const body: Record<string, string> = { ...params };
  if (f.basic) headers.authorization = basic(clientId, "secret");
  else Object.assign(body, { client_id: clientId, client_secret: "secret" });
  const r = await call("POST", `/sandbox/${provider}${f.token}`, {
    raw: new URLSearchParams(body).toString(),
    contentType: FORM,
    headers,
  });
  return r as { status: number; json: { access_token: string; refresh_token?: string; error?: string } };
}

const stats = async (clientId: string) =>
  (await call("GET", `/sandbox/_oauth/stats?client_id=${encodeURIComponent(clientId)}`)).json as {
    token_requests: number;
    refresh_requests: number;
  };

const db = () => createDb(env.DB);
const services = (tag = "tokens") => createServices(env, `req_${tag}_${crypto.randomUUID()}`);

async function row(id: string) {
  const [r] = await db().select().from(integrations).where(eq(integrations.id, id));
  if (!r) throw new Error(`no integration ${id}`);
  return r;
}

async function secretsOf(id: string) {
  return services().integrations.secretsOf(await row(id));
}

/** Sets the token's expiry, as if it had been issued an hour ago. */
async function setExpiry(id: string, at: Date | null) {
  await db()
    .update(integrations)
    .set({
      tokenExpiresAt: at ? at.toISOString() : null,
      updatedAt: new Date(Date.now() - 3600_000).toISOString(),
    })
    .where(eq(integrations.id, id));
}

const past = () => new Date(Date.now() - 5 * 60_000);
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000);

let org: TestOrg;

beforeEach(async () => {
  org = await newOrg();
});

/** An integration connected with tokens the sandbox issued to `clientId`, expiring at `expires`. */
async function connected(
  provider: string,
  opts: { clientId?: string; expires?: Date | null; refreshToken?: string } = {},
) {
  const clientId = opts.clientId ?? newClient(provider);
  const tokens = await sandboxTokens(provider, clientId);
  expect(tokens.status, JSON.stringify(tokens.json)).toBe(200);
  const integration = await newIntegration(org, {
    provider,
    name: `${provider} ${crypto.randomUUID().slice(0, 6)}`,
    client_id: clientId,
    client_secret: "secret",
    access_token: tokens.json.access_token,
    refresh_token: opts.refreshToken ?? tokens.json.refresh_token,
    ...(provider === "quickbooks" ? { realm_id: "9130350000000001" } : {}),
  });
  const expires = opts.expires === undefined ? past() : opts.expires;
  await setExpiry(integration.id, expires);
  return {
    id: integration.id as string,
    clientId,
    accessToken: tokens.json.access_token,
    refreshToken: (opts.refreshToken ?? tokens.json.refresh_token) as string,
  };
}

// ---- on demand, one refresh for many users --------------------------------------------------

describe("on-demand refresh", () => {
  it("50 concurrent users of an expired connection make one refresh request and all get the new token", async () => {
    const c = await connected("hubspot");
    const stale = await row(c.id);
    const users = Array.from({ length: 45 }, (_, i) =>
      services(`u${i}`)
        .connections.contextFor(stale)
        .then((ctx) => ctx.secrets.access_token),
    );
    const tests = Array.from({ length: 5 }, () =>
      call("POST", `/api/integrations/${c.id}/test`, { key: org.adminKey }),
    );
    const [tokens, tested] = await Promise.all([Promise.all(users), Promise.all(tests)]);
    expect((await stats(c.clientId)).refresh_requests).toBe(1);
    const stored = await secretsOf(c.id);
    expect(stored.access_token).not.toBe(c.accessToken);
    expect(new Set(tokens)).toEqual(new Set([stored.access_token]));
    for (const t of tested) expect(t.status, t.text).toBe(200);
    for (const t of tested) expect(t.json.ok, t.text).toBe(true);
    const after = await row(c.id);
    expect(Date.parse(after.tokenExpiresAt as string)).toBeGreaterThan(Date.now() + 10 * 60_000);
    expect(after.refreshLeaseUntil).toBeNull();
    expect(stored.refresh_token).toBe(c.refreshToken);
    expect(stored.client_secret).toBe("secret");
  });

  it("a token that is not near expiry is used as is", async () => {
    const c = await connected("hubspot", { expires: inMinutes(30) });
    const ctx = await services().connections.contextFor(await row(c.id));
    expect(ctx.secrets.access_token).toBe(c.accessToken);
    expect((await stats(c.clientId)).refresh_requests).toBe(0);
  });

  it("a token expiring within 60 seconds is refreshed before use", async () => {
    const c = await connected("hubspot", { expires: new Date(Date.now() + 30_000) });
    const ctx = await services().connections.contextFor(await row(c.id));
    expect(ctx.secrets.access_token).not.toBe(c.accessToken);
    expect((await stats(c.clientId)).refresh_requests).toBe(1);
  });

  it("a short-lived token (60 s) is refreshed at half-life, not on every use", async () => {
    const c = await connected("hubspot", { clientId: newClient("short"), expires: null });
    // Issued now with a 60-second lifetime, as the refresh of a short-lived token saves it.
    await db()
      .update(integrations)
      .set({
        tokenExpiresAt: new Date(Date.now() + 60_000).toISOString(),
        updatedAt: new Date().toISOString(),
      })
      .where(eq(integrations.id, c.id));
    const ctx = await services().connections.contextFor(await row(c.id));
    expect(ctx.secrets.access_token).toBe(c.accessToken);
    expect((await stats(c.clientId)).refresh_requests).toBe(0);
  });
});

// ---- rotation ---------------------------------------------------------------------------------

describe.each(["xero", "quickbooks"])("%s rotation", (provider) => {
  it("saves the rotated refresh token with the new access token; the next refresh uses it", async () => {
    const c = await connected(provider);
    const first = await services().connections.contextFor(await row(c.id));
    const afterFirst = await secretsOf(c.id);
    expect(afterFirst.refresh_token).not.toBe(c.refreshToken);
    expect(afterFirst.access_token).toBe(first.secrets.access_token);

    // The next refresh sends the rotated token and rotates again.
    await setExpiry(c.id, past());
    await services().connections.contextFor(await row(c.id));
    const afterSecond = await secretsOf(c.id);
    expect(afterSecond.refresh_token).not.toBe(afterFirst.refresh_token);
    expect((await stats(c.clientId)).refresh_requests).toBe(2);

    // The first refresh token, past its grace period, is refused by the sandbox.
    await call("POST", `/sandbox/_oauth/clock?client_id=${c.clientId}&advance=${25 * 3600}`);
    const old = await tokenCall(provider, c.clientId, {
      grant_type: "refresh_token",
      refresh_token: c.refreshToken,
    });
    expect(old.status).toBe(400);
    expect(old.json.error).toBe("invalid_grant");
  });

  it("a refresh racing an organization key rotation keeps the rotated token", async () => {
    const c = await connected(provider);
    const s = services();
    const vault = await s.vault();
    const rotation = await vault.startOrgKeyRotation(org.orgId);
    const before = await row(c.id);
    // The rotation re-encrypts the row while the token request is in flight, so the save's
    // compare-and-set loses and the refresh merges its tokens into the re-read row.
    const tokens = s.tokens as unknown as { http: (r: Request) => Promise<Response> };
    const http = tokens.http;
    tokens.http = async (req) => {
      await vault.reencryptBatch(org.orgId, rotation.id, 50);
      return http(req);
    };
    const ctx = await s.connections.contextFor(before);
    const after = await row(c.id);
    expect(after.keyVersion).toBe(rotation.toVersion);
    const stored = await secretsOf(c.id);
    expect(stored.access_token).toBe(ctx.secrets.access_token);
    expect(stored.access_token).not.toBe(c.accessToken);
    expect(stored.refresh_token).not.toBe(c.refreshToken);
    expect(stored.client_secret).toBe("secret");
    expect((await stats(c.clientId)).refresh_requests).toBe(1);
    // The next refresh uses the saved rotated token.
    await setExpiry(c.id, past());
    const next = await services().connections.contextFor(await row(c.id));
    expect(next.secrets.access_token).not.toBe(ctx.secrets.access_token);
    expect((await stats(c.clientId)).refresh_requests).toBe(2);
  });
});

// ---- invalid_grant ----------------------------------------------------------------------------

async function receiverEndpoint() {
  const bucket = `b-${crypto.randomUUID()}`;
  const r = await call("POST", "/api/event-endpoints", {
    key: org.adminKey,
    body: { url: `https://hub.test/sandbox/_receiver/${bucket}`, event_types: ["integration.error"] },
  });
  expect(r.status, r.text).toBe(201);
  return bucket;
}

async function receivedEvents(bucket: string, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await call("GET", `/sandbox/_receiver/${bucket}/requests`);
    const reqs = r.json.requests as ReceivedRequest[];
    if (reqs.length || Date.now() > until) return reqs.map((q) => JSON.parse(q.body));
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe("invalid_grant", () => {
  it("marks the integration error with a readable reason, emits integration.error, and stops refreshing", async () => {
    const bucket = await receiverEndpoint();
    const c = await connected("hubspot");
    // Revoke the grant at the sandbox, as a user removing the app would.
    const revoked = await call("DELETE", `/sandbox/hubspot/oauth/v1/refresh-tokens/${c.refreshToken}`);
    expect(revoked.status).toBe(204);

    const err = await services()
      .connections.contextFor(await row(c.id))
      .catch((e) => e);
    expect(err).toMatchObject({ kind: "auth" });
    expect(err.message).toContain("HubSpot refused the refresh token (invalid_grant)");
    const marked = await row(c.id);
    expect(marked.status).toBe("error");
    expect(marked.lastError).toBe("HubSpot refused the refresh token (invalid_grant); connect again");
    expect(marked.refreshLeaseUntil).toBeNull();
    expect((await stats(c.clientId)).refresh_requests).toBe(1);

    const [event] = await receivedEvents(bucket);
    expect(event).toMatchObject({
      type: "integration.error",
      data: { integration_id: c.id, provider: "hubspot", status: "error", action: "token_refresh" },
    });

    // No further attempts: on demand fails at once, and the cron skips it.
    const again = await services()
      .connections.contextFor(await row(c.id))
      .catch((e) => e);
    expect(again.message).toContain("invalid_grant");
    const cron = await services().tokens.refreshDue();
    expect(cron.failed).toBe(0);
    expect((await stats(c.clientId)).refresh_requests).toBe(1);

    const logs = await call("GET", `/api/integrations/${c.id}/logs`, { key: org.adminKey });
    expect(JSON.stringify(logs.json)).toContain("refused the refresh token");
  });

  it("a refresh token the provider never issued is refused the same way", async () => {
    const c = await connected("google_calendar", { refreshToken: "sbx_rt_unknown" });
    const err = await services()
      .connections.contextFor(await row(c.id))
      .catch((e) => e);
    expect(err.message).toContain("Google Calendar refused the refresh token (invalid_grant)");
    expect((await row(c.id)).status).toBe("error");
  });

  it("a provider outage is retryable and leaves the integration as it was", async () => {
    const c = await connected("hubspot");
    const failing = services("outage");
    // Break the HTTP client for this services object only.
    Object.assign(failing.tokens as object, {
      http: async () => new Response("upstream down", { status: 503, headers: { "retry-after": "7" } }),
    });
    const err = await failing.tokens.fresh(await row(c.id)).catch((e) => e);
    expect(err).toMatchObject({ kind: "transient" });
    expect(err.retryable).toBe(true);
    const after = await row(c.id);
    expect(after.status).toBe("active");
    expect(after.refreshLeaseUntil).toBeNull();
    expect((await secretsOf(c.id)).refresh_token).toBe(c.refreshToken);
  });
});

// ---- the cron ---------------------------------------------------------------------------------

describe("scheduled refresh", () => {
  it("refreshes tokens expiring within 15 minutes and not the others", async () => {
    const soon = await connected("hubspot", { expires: inMinutes(10) });
    const later = await connected("hubspot", { expires: inMinutes(40) });
    const expired = await connected("xero", { expires: past() });
    const result = await services().tokens.refreshDue();
    expect(result.refreshed).toBeGreaterThanOrEqual(2);
    expect((await stats(soon.clientId)).refresh_requests).toBe(1);
    expect((await stats(expired.clientId)).refresh_requests).toBe(1);
    expect((await stats(later.clientId)).refresh_requests).toBe(0);
    expect((await secretsOf(soon.id)).access_token).not.toBe(soon.accessToken);
    expect((await secretsOf(later.id)).access_token).toBe(later.accessToken);
    expect((await secretsOf(expired.id)).refresh_token).not.toBe(expired.refreshToken);
    expect(Date.parse((await row(soon.id)).tokenExpiresAt as string)).toBeGreaterThan(
      Date.now() + 15 * 60_000,
    );
    // A second run finds nothing of these due.
    await services().tokens.refreshDue();
    expect((await stats(soon.clientId)).refresh_requests).toBe(1);
  });

  it("skips disconnected integrations", async () => {
    const c = await connected("hubspot", { expires: inMinutes(5) });
    await db()
      .update(integrations)
      .set({ disconnectedAt: new Date().toISOString() })
      .where(eq(integrations.id, c.id));
    await services().tokens.refreshDue();
    expect((await stats(c.clientId)).refresh_requests).toBe(0);
  });
});

// ---- the route --------------------------------------------------------------------------------

describe("POST /api/integrations/{provider}/refresh-token", () => {
  it("forces a refresh and answers the integration and its new expiry", async () => {
    const c = await connected("quickbooks", { expires: inMinutes(50) });
    const r = await call("POST", `/api/integrations/quickbooks/refresh-token?integration_id=${c.id}`, {
      key: org.adminKey,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.ok).toBe(true);
    expect(r.json.integration.id).toBe(c.id);
    expect(r.json.integration.secrets.access_token).toBe("••••••");
    expect(r.json.token_expires_at).toBe(r.json.integration.token_expires_at);
    expect(Date.parse(r.json.token_expires_at)).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(r.text).not.toContain("sbx_");
    expect((await stats(c.clientId)).refresh_requests).toBe(1);
    expect((await secretsOf(c.id)).refresh_token).not.toBe(c.refreshToken);
  });

  it("needs an admin key; another organization's integration is 404", async () => {
    const c = await connected("hubspot");
    const member = await call("POST", `/api/integrations/hubspot/refresh-token?integration_id=${c.id}`, {
      key: org.memberKey,
    });
    expect(member.status).toBe(403);
    const other = await newOrg();
    const foreign = await call("POST", `/api/integrations/hubspot/refresh-token?integration_id=${c.id}`, {
      key: other.adminKey,
    });
    expect(foreign.status).toBe(404);
    expect((await call("POST", "/api/integrations/hubspot/refresh-token")).status).toBe(401);
    expect((await stats(c.clientId)).refresh_requests).toBe(0);
  });

  it("a refused refresh token is a 409 with the readable reason", async () => {
    const c = await connected("hubspot", { refreshToken: "sbx_rt_never_issued" });
    const r = await call("POST", `/api/integrations/hubspot/refresh-token?integration_id=${c.id}`, {
      key: org.adminKey,
    });
    expect(r.status).toBe(409);
    expect(r.json.error).toBe("HubSpot refused the refresh token (invalid_grant); connect again");
    expect((await row(c.id)).status).toBe("error");
  });

  it("a provider without refresh tokens, or an integration without one, is a 400", async () => {
    const hs = await newIntegration(org, { provider: "hubspot", name: "PAT", private_app_token: "pat-1" });
    const r = await call("POST", `/api/integrations/hubspot/refresh-token?integration_id=${hs.id}`, {
      key: org.adminKey,
    });
    expect(r.status).toBe(400);
    expect(r.json.error).toContain("no refresh token");
  });
});

// ---- disconnect -------------------------------------------------------------------------------

describe("disconnect", () => {
  it.each(["xero", "google_calendar", "quickbooks", "hubspot"])(
    "%s: revokes at the provider, then wipes the tokens and keeps the history",
    async (provider) => {
      const c = await connected(provider, { expires: inMinutes(30) });
      const r = await call("POST", `/api/integrations/${provider}/disconnect?integration_id=${c.id}`, {
        key: org.adminKey,
      });
      expect(r.status, r.text).toBe(200);
      const after = await row(c.id);
      expect(after.secrets).toBeNull();
      expect(after.secretFields).toEqual([]);
      expect(after.tokenExpiresAt).toBeNull();
      // The old refresh token is dead at the provider.
      const old = await tokenCall(provider, c.clientId, {
        grant_type: "refresh_token",
        refresh_token: c.refreshToken,
      });
      expect(old.status).toBe(400);
      expect(old.json.error).toBe("invalid_grant");
      const logs = await call("GET", `/api/integrations/${c.id}/logs`, { key: org.adminKey });
      const text = JSON.stringify(logs.json);
      expect(text).toContain("Tokens revoked at");
      expect(text).toContain("created");
    },
  );

  it("a revocation failure does not block the disconnect", async () => {
    const c = await connected("xero", { expires: inMinutes(30) });
    // Revoked already: the sandbox still answers 200 for Xero, so break the client app instead.
    await db()
      .update(integrations)
      .set({ config: { client_id: "invalid-client" } })
      .where(eq(integrations.id, c.id));
    const r = await call("POST", `/api/integrations/xero/disconnect?integration_id=${c.id}`, {
      key: org.adminKey,
    });
    expect(r.status, r.text).toBe(200);
    expect((await row(c.id)).secrets).toBeNull();
  });
});
