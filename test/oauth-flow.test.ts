/**
 * The OAuth connection flow end to end against the sandbox's authorization servers: start
 * (`/auth`), the provider's authorize step (`sandbox_auto`), the callback, tokens in the vault,
 * provider extras, and test connection with the new token, for every OAuth provider. Then the
 * state's guarantees (forged, replayed, expired, bound to its organization), provider denial,
 * PKCE, return URLs, and connect sessions. No response or log carries a secret.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call, newIntegration, newOrg, type TestOrg } from "./harness.ts";

/** Everything the flow answered, to check that no secret ever appears. */
const seen: string[] = [];

/** A browser navigation: the redirect is returned, not followed. */
async function nav(url: string, headers: Record<string, string> = {}) {
  const res = await exports.default.fetch(new Request(url, { redirect: "manual", headers }));
  const text = await res.text();
  const location = res.headers.get("location");
  seen.push(text, location ?? "");
  return { status: res.status, location, text, headers: res.headers };
}

async function sha256Hex(s: string) {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

interface StartQuery {
  integration_id?: string;
  return_to?: string;
}

/** Starts a flow with an admin key (JSON form) and returns the provider's authorize URL. */
async function start(org: TestOrg, provider: string, q: StartQuery = {}) {
  const qs = new URLSearchParams({ format: "json", ...q });
  const r = await call("GET", `/api/integrations/${provider}/auth?${qs}`, { key: org.adminKey });
  seen.push(r.text);
  expect(r.status, r.text).toBe(200);
  const url = new URL(r.json.url);
  return { url, state: url.searchParams.get("state") as string };
}

/** The sandbox's authorize step, non-interactive: the redirect to the hub's callback. */
async function authorize(url: URL, decision: "approve" | "deny" = "approve") {
  const u = new URL(url);
  u.searchParams.set("sandbox_auto", decision);
  const r = await nav(u.toString());
  expect(r.status, r.text).toBe(302);
  const callback = new URL(r.location as string);
  expect(callback.origin).toBe(BASE);
  return callback;
}

/** The callback; returns where the browser is sent back, parsed. */
async function callback(url: URL, headers: Record<string, string> = {}) {
  const r = await nav(url.toString(), headers);
  return { ...r, back: r.location ? new URL(r.location) : null };
}

async function connect(org: TestOrg, provider: string, q: StartQuery = {}) {
  const { url, state } = await start(org, provider, q);
  const cb = await authorize(url);
  const r = await callback(cb);
  return { ...r, state, cb, authorizeUrl: url };
}

const EXTRAS: Record<string, { config?: Record<string, unknown>; expires: boolean; refresh: boolean }> = {
  hubspot: { expires: true, refresh: true },
  salesforce: { config: { instance_url: `${BASE}/sandbox/salesforce` }, expires: false, refresh: true },
  google_calendar: { expires: true, refresh: true },
  quickbooks: { config: { realm_id: "9130350000000001" }, expires: true, refresh: true },
  xero: { config: { tenant_id: "b0f5c6d2-7a1e-4c3b-8d9f-2e6a1c4b0001" }, expires: true, refresh: true },
  // The Page token from /me/accounts (with a long-lived user token) does not expire.
  facebook: {
    config: { page_id: "100000000000001", page_name: "Sandbox Page" },
    expires: false,
    refresh: false,
  },
  // The short-lived token is exchanged at once for a long-lived one (60 days).
  instagram: { config: { instagram_scoped_id: "17841400000000001" }, expires: true, refresh: false },
};

describe("OAuth connection flow, every provider", () => {
  it.each(Object.keys(EXTRAS))(
    "%s: connect, tokens stored, extras kept, test connection works",
    async (id) => {
      const org = await newOrg();
      const expected = EXTRAS[id] as (typeof EXTRAS)[string];
      // Instagram's account id comes from the token response: it replaces a placeholder on reconnect.
      const existing =
        id === "instagram"
          ? await newIntegration(org, {
              provider: "instagram",
              name: "IG",
              instagram_scoped_id: "1",
              is_active: false,
            })
          : null;
      const { url } = await start(org, id, existing ? { integration_id: existing.id } : {});
      expect(url.origin).toBe(BASE);
      expect(url.pathname.startsWith(`/sandbox/${id}/`)).toBe(true);
      expect(url.searchParams.get("client_id")).toBe("sandbox-client");
      expect(url.searchParams.get("redirect_uri")).toBe(`${BASE}/api/integrations/${id}/callback`);
      expect(url.searchParams.get("response_type")).toBe("code");
      if (id === "google_calendar") expect(url.searchParams.get("access_type")).toBe("offline");
      const pkce = !["facebook", "instagram"].includes(id);
      expect(url.searchParams.get("code_challenge_method")).toBe(pkce ? "S256" : null);

      const cb = await authorize(url);
      expect(cb.pathname).toBe(`/api/integrations/${id}/callback`);
      const r = await callback(cb);
      expect(r.status, r.text).toBe(302);
      const back = r.back as URL;
      expect(`${back.origin}${back.pathname}`).toBe(`${BASE}/integrations`);
      expect(back.searchParams.get("error")).toBeNull();
      expect(back.searchParams.get("success")).toBe("true");
      expect(back.searchParams.get("provider")).toBe(id);
      const integrationId = back.searchParams.get("integration_id") as string;
      if (existing) expect(integrationId).toBe(existing.id);

      const got = await call("GET", `/api/integrations/${integrationId}`, { key: org.adminKey });
      seen.push(got.text);
      const integ = got.json.integration;
      expect(integ.provider).toBe(id);
      expect(integ.status).toBe("active");
      expect(integ.is_active).toBe(true);
      expect(integ.last_error).toBeNull();
      expect(Object.keys(integ.secrets)).toContain("access_token");
      expect(Object.keys(integ.secrets).includes("refresh_token")).toBe(expected.refresh);
      for (const v of Object.values(integ.secrets)) expect(v).not.toMatch(/^sbx_/);
      if (expected.expires) {
        const t = Date.parse(integ.token_expires_at);
        expect(t).toBeGreaterThan(Date.now() + 60_000);
      } else {
        expect(integ.token_expires_at).toBeNull();
      }
      expect(integ.config).toMatchObject(expected.config ?? {});
      if (!existing) expect(integ.name).toBe(got.json.integration.name);

      const test = await call("POST", `/api/integrations/${integrationId}/test`, { key: org.adminKey });
      seen.push(test.text);
      expect(test.status, test.text).toBe(200);
      expect(test.json.ok, test.text).toBe(true);

      const logs = await call("GET", `/api/integrations/${integrationId}/logs`, { key: org.adminKey });
      const audit = await call("GET", "/api/audit-logs", { key: org.adminKey });
      seen.push(logs.text, audit.text);
      expect(logs.text).toContain("oauth_connected");
      expect(audit.text).toContain("integration.oauth_connected");
    },
  );

  it("names a second connection uniquely", async () => {
    const org = await newOrg();
    const a = await connect(org, "hubspot");
    const b = await connect(org, "hubspot");
    const ida = a.back?.searchParams.get("integration_id");
    const idb = b.back?.searchParams.get("integration_id");
    expect(ida).not.toBe(idb);
    const ra = await call("GET", `/api/integrations/${ida}`, { key: org.adminKey });
    const rb = await call("GET", `/api/integrations/${idb}`, { key: org.adminKey });
    expect(ra.json.integration.name).toBe("HubSpot");
    expect(rb.json.integration.name).toBe("HubSpot 2");
  });

  it("reconnecting an integration in error makes it active and clears last_error", async () => {
    const org = await newOrg();
    const integ = await newIntegration(org, { provider: "hubspot", name: "CRM" });
    await env.DB.prepare(
      "UPDATE integrations SET status = 'error', last_error = 'token revoked' WHERE id = ?",
    )
      .bind(integ.id)
      .run();
    const r = await connect(org, "hubspot", { integration_id: integ.id });
    expect(r.back?.searchParams.get("success")).toBe("true");
    const got = await call("GET", `/api/integrations/${integ.id}`, { key: org.adminKey });
    expect(got.json.integration.status).toBe("active");
    expect(got.json.integration.last_error).toBeNull();
    expect(got.json.integration.name).toBe("CRM");
  });
});

describe("state", () => {
  it("a forged state is refused with a readable page, or JSON", async () => {
    const forged = `${BASE}/api/integrations/hubspot/callback?code=sbx_code_x&state=forged-${crypto.randomUUID()}`;
    const page = await nav(forged);
    expect(page.status).toBe(400);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.text).toMatch(/unknown or no longer valid/);
    expect(page.location).toBeNull();
    const json = await nav(forged, { accept: "application/json" });
    expect(json.status).toBe(400);
    expect(JSON.parse(json.text)).toMatchObject({ code: "BAD_REQUEST" });
    const none = await nav(`${BASE}/api/integrations/hubspot/callback?code=x`);
    expect(none.status).toBe(400);
  });

  it("a replayed state is refused the second time", async () => {
    const org = await newOrg();
    const first = await connect(org, "hubspot");
    expect(first.back?.searchParams.get("success")).toBe("true");
    const again = await callback(first.cb);
    expect(again.status).toBe(302);
    expect(again.back?.searchParams.get("success")).toBe("false");
    expect(again.back?.searchParams.get("error")).toMatch(/already used/);
    const list = await call("GET", "/api/integrations?provider=hubspot", { key: org.adminKey });
    expect(list.json.integrations ?? list.json.data).toHaveLength(1);
  });

  it("concurrent callbacks with one state: exactly one succeeds", async () => {
    const org = await newOrg();
    const { url } = await start(org, "google_calendar");
    const cb = await authorize(url);
    const results = await Promise.all([callback(cb), callback(cb), callback(cb)]);
    const ok = results.filter((r) => r.back?.searchParams.get("success") === "true");
    expect(ok).toHaveLength(1);
  });

  it("an expired state is refused", async () => {
    const org = await newOrg();
    const { url, state } = await start(org, "hubspot");
    const cb = await authorize(url);
    await env.DB.prepare("UPDATE oauth_states SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, await sha256Hex(state))
      .run();
    const r = await callback(cb);
    expect(r.back?.searchParams.get("success")).toBe("false");
    expect(r.back?.searchParams.get("error")).toMatch(/too long/);
  });

  it("the state is stored hashed with a 10-minute expiry", async () => {
    const org = await newOrg();
    const { state } = await start(org, "xero");
    const byRaw = await env.DB.prepare("SELECT id FROM oauth_states WHERE id = ?").bind(state).first();
    expect(byRaw).toBeNull();
    const row = await env.DB.prepare("SELECT org_id, provider, expires_at FROM oauth_states WHERE id = ?")
      .bind(await sha256Hex(state))
      .first<{ org_id: string; provider: string; expires_at: number }>();
    expect(row?.org_id).toBe(org.orgId);
    expect(row?.provider).toBe("xero");
    expect((row?.expires_at ?? 0) - Date.now()).toBeGreaterThan(9 * 60_000);
    expect((row?.expires_at ?? 0) - Date.now()).toBeLessThanOrEqual(10 * 60_000);
  });

  it("a state started for one provider does not complete another", async () => {
    const org = await newOrg();
    const { url } = await start(org, "hubspot");
    const cb = await authorize(url);
    const other = new URL(cb);
    other.pathname = "/api/integrations/xero/callback";
    const r = await callback(other);
    expect(r.back?.searchParams.get("success")).toBe("false");
  });

  it("the state binds the organization: another org can neither see the connection nor use its integration", async () => {
    const a = await newOrg();
    const b = await newOrg();
    const integA = await newIntegration(a, { provider: "quickbooks", name: "Books" });
    // B cannot start a flow for A's integration.
    const refused = await call(
      "GET",
      `/api/integrations/quickbooks/auth?format=json&integration_id=${integA.id}`,
      {
        key: b.adminKey,
      },
    );
    expect(refused.status).toBe(404);
    // A's flow, completed by whoever holds the browser, lands in A only.
    const r = await connect(a, "quickbooks", { integration_id: integA.id });
    expect(r.back?.searchParams.get("integration_id")).toBe(integA.id);
    const fromB = await call("GET", `/api/integrations/${integA.id}`, { key: b.adminKey });
    expect(fromB.status).toBe(404);
    const listB = await call("GET", "/api/integrations", { key: b.adminKey });
    expect(listB.text).not.toContain(integA.id);
  });

  it("the provider's denial comes back as a readable error", async () => {
    const org = await newOrg();
    const { url } = await start(org, "hubspot");
    const cb = await authorize(url, "deny");
    expect(cb.searchParams.get("error")).toBe("access_denied");
    const r = await callback(cb);
    expect(r.back?.searchParams.get("success")).toBe("false");
    expect(r.back?.searchParams.get("provider")).toBe("hubspot");
    expect(r.back?.searchParams.get("error")).toBe("You declined access at HubSpot.");
  });

  it("a PKCE verifier that does not match is refused by the provider", async () => {
    const org = await newOrg();
    const integ = await newIntegration(org, { provider: "salesforce", name: "SF" });
    const { url, state } = await start(org, "salesforce", { integration_id: integ.id });
    const cb = await authorize(url);
    await env.DB.prepare("UPDATE oauth_states SET code_verifier = ? WHERE id = ?")
      .bind("x".repeat(64), await sha256Hex(state))
      .run();
    const r = await callback(cb);
    expect(r.back?.searchParams.get("success")).toBe("false");
    expect(r.back?.searchParams.get("error")).toMatch(/Salesforce did not accept the authorization.*PKCE/);
    const got = await call("GET", `/api/integrations/${integ.id}`, { key: org.adminKey });
    expect(Object.keys(got.json.integration.secrets)).not.toContain("access_token");
    const logs = await call("GET", `/api/integrations/${integ.id}/logs`, { key: org.adminKey });
    expect(logs.text).toContain("oauth_failed");
  });
});

describe("starting a flow", () => {
  it("refuses a return URL on a foreign origin, allows one in OAUTH_RETURN_ORIGINS", async () => {
    const org = await newOrg();
    const foreign = await call(
      "GET",
      `/api/integrations/hubspot/auth?return_to=${encodeURIComponent("https://evil.example/x")}`,
      { key: org.adminKey },
    );
    expect(foreign.status).toBe(400);
    expect(foreign.json.error).toMatch(/return_to/);
    const relative = await call("GET", "/api/integrations/hubspot/auth?return_to=%2F%2Fevil.example", {
      key: org.adminKey,
    });
    expect(relative.status).toBe(400);
    const allowed = await call(
      "GET",
      `/api/integrations/hubspot/auth?format=json&return_to=${encodeURIComponent("https://app.example.com/done?tab=crm")}`,
      { key: org.adminKey, env: { OAUTH_RETURN_ORIGINS: "https://other.example, https://app.example.com" } },
    );
    expect(allowed.status, allowed.text).toBe(200);
    const same = await connect(org, "hubspot", { return_to: `${BASE}/app/settings?x=1` });
    expect(same.back?.pathname).toBe("/app/settings");
    expect(same.back?.searchParams.get("x")).toBe("1");
    expect(same.back?.searchParams.get("success")).toBe("true");
  });

  it("redirects to the provider without format=json", async () => {
    const org = await newOrg();
    const r = await exports.default.fetch(
      new Request(`${BASE}/api/integrations/xero/auth`, {
        redirect: "manual",
        headers: { authorization: `Bearer ${org.adminKey}` },
      }),
    );
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toMatch(
      /^https:\/\/hub\.test\/sandbox\/xero\/identity\/connect\/authorize\?/,
    );
  });

  it("refuses providers without OAuth, unknown providers, member keys and no key", async () => {
    const org = await newOrg();
    expect((await call("GET", "/api/integrations/twilio/auth", { key: org.adminKey })).status).toBe(400);
    expect((await call("GET", "/api/integrations/nope/auth", { key: org.adminKey })).status).toBe(400);
    expect((await call("GET", "/api/integrations/hubspot/auth", { key: org.memberKey })).status).toBe(403);
    expect((await call("GET", "/api/integrations/hubspot/auth")).status).toBe(401);
    const wrongProvider = await newIntegration(org, { provider: "xero", name: "X" });
    const r = await call("GET", `/api/integrations/hubspot/auth?integration_id=${wrongProvider.id}`, {
      key: org.adminKey,
    });
    expect(r.status).toBe(404);
  });
});

describe("connect sessions", () => {
  it("are minted by admin keys only, and validated", async () => {
    const org = await newOrg();
    const member = await call("POST", "/api/connect-sessions", { key: org.memberKey, body: {} });
    expect(member.status).toBe(403);
    const bad = await call("POST", "/api/connect-sessions", {
      key: org.adminKey,
      body: { allowed_providers: ["twilio"] },
    });
    expect(bad.status).toBe(400);
    const foreign = await call("POST", "/api/connect-sessions", {
      key: org.adminKey,
      body: { return_to: "https://evil.example/" },
    });
    expect(foreign.status).toBe(400);
    const ok = await call("POST", "/api/connect-sessions", { key: org.adminKey, body: {} });
    expect(ok.status).toBe(201);
    expect(ok.json.token).toMatch(/^sbcs_/);
    expect(Date.parse(ok.json.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(ok.json.connect_url).toContain(`${BASE}/integrations?session=`);
    const stored = await env.DB.prepare("SELECT token_hash FROM connect_sessions WHERE org_id = ?")
      .bind(org.orgId)
      .first<{ token_hash: string }>();
    expect(stored?.token_hash).toBe(await sha256Hex(ok.json.token));
  });

  it("start a flow without an API key, within their providers and lifetime", async () => {
    const org = await newOrg();
    const s = await call("POST", "/api/connect-sessions", {
      key: org.adminKey,
      body: { allowed_providers: ["hubspot", "xero"], return_to: `${BASE}/welcome` },
    });
    expect(s.status, s.text).toBe(201);
    const token = s.json.token as string;

    const started = await nav(`${BASE}/api/integrations/hubspot/auth?session=${token}`);
    expect(started.status).toBe(302);
    const cb = await authorize(new URL(started.location as string));
    const r = await callback(cb);
    expect(r.back?.pathname).toBe("/welcome");
    expect(r.back?.searchParams.get("success")).toBe("true");
    const id = r.back?.searchParams.get("integration_id");
    const got = await call("GET", `/api/integrations/${id}`, { key: org.adminKey });
    expect(got.json.integration.status).toBe("active");
    const audit = await call("GET", "/api/audit-logs", { key: org.adminKey });
    expect(audit.text).toContain(`connect_session:${s.json.id}`);

    const json = await call("GET", `/api/integrations/xero/auth?format=json&session=${token}`);
    expect(json.status).toBe(200);

    const notAllowed = await call("GET", `/api/integrations/salesforce/auth?session=${token}`);
    expect(notAllowed.status).toBe(403);
    const invalid = await call("GET", "/api/integrations/hubspot/auth?session=sbcs_nope");
    expect(invalid.status).toBe(401);
    // A session only reaches /auth, nothing else.
    const elsewhere = await call("GET", `/api/integrations?session=${token}`);
    expect(elsewhere.status).toBe(401);

    await env.DB.prepare("UPDATE connect_sessions SET expires_at = ? WHERE org_id = ?")
      .bind(Date.now() - 1000, org.orgId)
      .run();
    const expired = await call("GET", `/api/integrations/hubspot/auth?session=${token}`);
    expect(expired.status).toBe(401);
    expect(expired.json.error).toMatch(/expired/);
  });

  it("tell the connect page what they may do, and an unknown or expired one why not", async () => {
    const org = await newOrg();
    const limited = await call("POST", "/api/connect-sessions", {
      key: org.adminKey,
      body: { allowed_providers: ["hubspot", "xero"] },
    });
    const open = await call("POST", "/api/connect-sessions", { key: org.adminKey, body: {} });
    const current = (token: string) => call("GET", `/api/connect-sessions/current?session=${token}`);

    const a = await current(limited.json.token);
    expect(a.status, a.text).toBe(200);
    expect(a.json).toEqual({ expires_at: limited.json.expires_at, allowed_providers: ["hubspot", "xero"] });
    const b = await current(open.json.token);
    expect(b.json.allowed_providers).toContain("salesforce");
    expect(b.json.allowed_providers).not.toContain("twilio");

    for (const bogus of ["sbcs_nope", "nope", ""]) {
      const r = await current(bogus);
      expect(r.status, bogus).toBe(401);
      expect(r.json.error).toBe("Invalid connect session token");
    }
    expect((await call("GET", "/api/connect-sessions/current")).status).toBe(400);
    await env.DB.prepare("UPDATE connect_sessions SET expires_at = ? WHERE org_id = ?")
      .bind(Date.now() - 1000, org.orgId)
      .run();
    const expired = await current(limited.json.token);
    expect(expired.status).toBe(401);
    expect(expired.json.error).toBe("The connect session has expired; ask the application for a new one");

    // A browser sent straight to /auth with a dead link reads the reason on a page.
    const page = await call("GET", `/api/integrations/hubspot/auth?session=${limited.json.token}`, {
      headers: { accept: "text/html,application/xhtml+xml" },
    });
    expect(page.status).toBe(401);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(page.text).toContain("The connect session has expired; ask the application for a new one");
  });
});

describe("no secrets", () => {
  it("no response of the flows above carried a token, the client secret or a verifier", async () => {
    const verifiers = await env.DB.prepare(
      "SELECT code_verifier FROM oauth_states WHERE code_verifier IS NOT NULL",
    ).all<{ code_verifier: string }>();
    const all = seen.join("\n");
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toMatch(/sbx_at_|sbx_rt_/);
    expect(all).not.toContain("sandbox-secret");
    for (const v of verifiers.results) expect(all).not.toContain(v.code_verifier);
    const logs = await env.DB.prepare("SELECT message, details FROM integration_logs").all();
    const audit = await env.DB.prepare("SELECT details FROM audit_logs").all();
    const stored = JSON.stringify([logs.results, audit.results]);
    expect(stored).not.toMatch(/sbx_at_|sbx_rt_|sbx_code_|sandbox-secret/);
  });
});

describe("tokens that renew themselves", () => {
  it("an Instagram connection's long-lived token is renewed before it expires (no refresh token)", async () => {
    const org = await newOrg();
    const r = await connect(org, "instagram");
    const id = r.back?.searchParams.get("integration_id") as string;
    const before = await call("GET", `/api/integrations/${id}`, { key: org.adminKey });
    expect(Object.keys(before.json.integration.secrets)).toEqual(["access_token"]);
    const stored = () =>
      env.DB.prepare("SELECT secrets FROM integrations WHERE id = ?").bind(id).first<{ secrets: string }>();
    const oldCiphertext = (await stored())?.secrets;
    // Due (as the hub sees it; still valid at Instagram): the next use renews it with ig_refresh_token.
    await env.DB.prepare("UPDATE integrations SET token_expires_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - 1_000).toISOString(), id)
      .run();
    const test = await call("POST", `/api/integrations/${id}/test`, { key: org.adminKey });
    expect(test.json.ok, test.text).toBe(true);
    const after = await call("GET", `/api/integrations/${id}`, { key: org.adminKey });
    expect(Date.parse(after.json.integration.token_expires_at)).toBeGreaterThan(Date.now() + 50 * 86_400_000);
    expect((await stored())?.secrets).not.toBe(oldCiphertext);
    const forced = await call("POST", `/api/integrations/instagram/refresh-token?integration_id=${id}`, {
      key: org.adminKey,
    });
    expect(forced.status, forced.text).toBe(200);
    expect(forced.text).not.toMatch(/sbx_at_/);
  });
});
