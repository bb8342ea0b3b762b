/**
 * The sandbox's OAuth 2.0 authorization servers over HTTP: the authorization code flow with
 * PKCE, refresh (and rotation), revocation, the error cases, and the issued tokens against the
 * API simulators.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BASE, call } from "./harness.ts";

const REDIRECT = "https://app.example.com/oauth/callback";
const FORM = "application/x-www-form-urlencoded";
let seq = 0;

async function pkce() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const b64url = (b: Uint8Array) =>
    btoa(String.fromCharCode(...b))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  const verifier = b64url(bytes);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  return { verifier, challenge: b64url(digest) };
}

/** A request whose redirect is returned, not followed (`call()` follows redirects). */
async function nav(method: "GET" | "POST", path: string, formBody?: string) {
  const init: RequestInit = { method, redirect: "manual" };
  if (formBody !== undefined) {
    init.body = formBody;
    init.headers = { "content-type": FORM };
  }
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, init));
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;

interface Flow {
  id: string;
  authorize: string;
  token: string;
  revoke: (token: string, clientId: string) => Promise<{ status: number }>;
  clientAuth: "body" | "basic";
  scope: string;
  extra?: Record<string, string>;
  rotates: boolean;
  /** Seconds a rotated refresh token keeps working. */
  grace?: number;
  /** Whether a refresh response carries a refresh token even without rotation. */
  refreshReturnsToken: boolean;
  api: (token: string) => Promise<{ status: number }>;
}

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

const FLOWS: Flow[] = [
  {
    id: "hubspot",
    authorize: "/oauth/authorize",
    token: "/oauth/v3/token",
    revoke: (t) => call("DELETE", `/sandbox/hubspot/oauth/v1/refresh-tokens/${t}`),
    clientAuth: "body",
    scope: "oauth crm.objects.contacts.read",
    rotates: false,
    refreshReturnsToken: true,
    api: (t) => call("GET", "/sandbox/hubspot/account-info/v3/details", { key: t }),
  },
  {
    id: "salesforce",
    authorize: "/services/oauth2/authorize",
    token: "/services/oauth2/token",
    revoke: (t) =>
      call("POST", "/sandbox/salesforce/services/oauth2/revoke", {
        raw: form({ token: t }),
        contentType: FORM,
      }),
    clientAuth: "body",
    scope: "api refresh_token",
    rotates: false,
    refreshReturnsToken: false,
    api: (t) => call("GET", "/sandbox/salesforce/services/data/v62.0/limits", { key: t }),
  },
  {
    id: "google_calendar",
    authorize: "/o/oauth2/v2/auth",
    token: "/token",
    revoke: (t) =>
      call("POST", "/sandbox/google_calendar/revoke", { raw: form({ token: t }), contentType: FORM }),
    clientAuth: "body",
    scope: "https://www.googleapis.com/auth/calendar.readonly",
    extra: { access_type: "offline", prompt: "consent" },
    rotates: false,
    refreshReturnsToken: false,
    api: (t) => call("GET", "/sandbox/google_calendar/users/me/calendarList?maxResults=1", { key: t }),
  },
  {
    id: "quickbooks",
    authorize: "/connect/oauth2",
    token: "/oauth2/v1/tokens/bearer",
    revoke: (t, id) =>
      call("POST", "/sandbox/quickbooks/v2/oauth2/tokens/revoke", {
        body: { token: t },
        headers: { authorization: basic(id, "secret") },
      }),
    clientAuth: "basic",
    scope: "com.intuit.quickbooks.accounting",
    rotates: true,
    grace: 24 * 3600,
    refreshReturnsToken: true,
    api: (t) =>
      call("GET", "/sandbox/quickbooks/v3/company/9130350000000001/companyinfo/9130350000000001", { key: t }),
  },
  {
    id: "xero",
    authorize: "/identity/connect/authorize",
    token: "/connect/token",
    revoke: (t, id) =>
      call("POST", "/sandbox/xero/connect/revocation", {
        raw: form({ token: t }),
        contentType: FORM,
        headers: { authorization: basic(id, "secret") },
      }),
    clientAuth: "basic",
    scope: "openid profile email accounting.settings offline_access",
    rotates: true,
    grace: 1800,
    refreshReturnsToken: true,
    api: (t) => call("GET", "/sandbox/xero/connections", { key: t }),
  },
];

function newClient(tag = "") {
  return `client-${tag}${++seq}-${Math.random().toString(36).slice(2, 8)}`;
}

async function authorize(
  f: { id: string; authorize: string; scope: string; extra?: Record<string, string> },
  clientId: string,
  opts: { challenge?: string; auto?: "approve" | "deny"; state?: string } = {},
) {
  const q = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: f.scope,
    state: opts.state ?? "st-123",
    ...(f.extra ?? {}),
  });
  if (opts.challenge) {
    q.set("code_challenge", opts.challenge);
    q.set("code_challenge_method", "S256");
  }
  if (opts.auto) q.set("sandbox_auto", opts.auto);
  return nav("GET", `/sandbox/${f.id}${f.authorize}?${q}`);
}

const locationOf = (r: { headers: Headers }) => new URL(r.headers.get("location") ?? "about:blank");

function tokenCall(f: Flow, clientId: string, params: Record<string, string>, secret = "secret") {
  const headers: Record<string, string> = {};
  const body = { ...params };
  if (f.clientAuth === "basic") headers.authorization = basic(clientId, secret);
  else Object.assign(body, { client_id: clientId, client_secret: secret });
  return call("POST", `/sandbox/${f.id}${f.token}`, { raw: form(body), contentType: FORM, headers });
}

async function codeFor(f: Flow, clientId: string, challenge?: string) {
  const r = await authorize(f, clientId, { challenge, auto: "approve" });
  expect(r.status).toBe(302);
  return locationOf(r).searchParams.get("code") as string;
}

const stats = async (clientId: string) =>
  (await call("GET", `/sandbox/_oauth/stats?client_id=${encodeURIComponent(clientId)}`)).json;

const advance = (clientId: string, seconds: number) =>
  call("POST", `/sandbox/_oauth/clock?client_id=${encodeURIComponent(clientId)}&advance=${seconds}`);

describe.each(FLOWS)("$id OAuth server", (f) => {
  it("runs the full flow: authorize with PKCE, exchange, refresh, revoke", async () => {
    const clientId = newClient();
    const { verifier, challenge } = await pkce();
    const auth = await authorize(f, clientId, { challenge, auto: "approve", state: "xyz" });
    expect(auth.status).toBe(302);
    const loc = locationOf(auth);
    expect(`${loc.origin}${loc.pathname}`).toBe(REDIRECT);
    expect(loc.searchParams.get("state")).toBe("xyz");
    const code = loc.searchParams.get("code");
    expect(code).toMatch(/^sbx_code_/);
    if (f.id === "quickbooks") expect(loc.searchParams.get("realmId")).toBe("9130350000000001");

    const tok = await tokenCall(f, clientId, {
      grant_type: "authorization_code",
      code: code as string,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    expect(tok.status).toBe(200);
    expect(tok.json.access_token).toMatch(/^sbx_at_[0-9a-f]+$/);
    expect(tok.json.refresh_token).toMatch(/^sbx_rt_/);
    expect(tok.headers.get("cache-control")).toBe("no-store");
    if (f.id === "salesforce") {
      expect(tok.json).toMatchObject({
        instance_url: "https://hub.test/sandbox/salesforce",
        token_type: "Bearer",
        issued_at: expect.stringMatching(/^\d+$/),
        signature: expect.any(String),
        id: expect.stringContaining("/sandbox/salesforce/id/"),
      });
      expect(tok.json.expires_in).toBeUndefined();
    } else {
      expect(tok.json.expires_in).toBe(
        { hubspot: 1800, google_calendar: 3599, quickbooks: 3600, xero: 1800 }[f.id],
      );
    }
    if (f.id === "quickbooks") expect(tok.json.x_refresh_token_expires_in).toBe(8726400);

    // The access token works against the provider's API simulator.
    expect((await f.api(tok.json.access_token)).status).toBe(200);

    const first = tok.json.refresh_token as string;
    const ref = await tokenCall(f, clientId, { grant_type: "refresh_token", refresh_token: first });
    expect(ref.status).toBe(200);
    expect(ref.json.access_token).toMatch(/^sbx_at_/);
    expect(ref.json.access_token).not.toBe(tok.json.access_token);
    expect((await f.api(ref.json.access_token)).status).toBe(200);
    let current = first;
    if (f.rotates) {
      expect(ref.json.refresh_token).toMatch(/^sbx_rt_/);
      expect(ref.json.refresh_token).not.toBe(first);
      current = ref.json.refresh_token;
    } else if (f.refreshReturnsToken) {
      expect(ref.json.refresh_token).toBe(first);
    } else {
      expect(ref.json.refresh_token).toBeUndefined();
    }
    expect(await stats(clientId)).toEqual({ token_requests: 1, refresh_requests: 1 });

    const revoked = await f.revoke(current, clientId);
    expect(revoked.status).toBeLessThan(300);
    const after = await tokenCall(f, clientId, { grant_type: "refresh_token", refresh_token: current });
    expect(after.status).toBe(400);
    expect(after.json.error).toBe("invalid_grant");
  });

  it("deny redirects with access_denied and the state", async () => {
    const r = await authorize(f, newClient(), { auto: "deny", state: "s-deny" });
    expect(r.status).toBe(302);
    const loc = locationOf(r);
    expect(loc.searchParams.get("error")).toBe("access_denied");
    expect(loc.searchParams.get("error_description")).toBeTruthy();
    expect(loc.searchParams.get("state")).toBe("s-deny");
    expect(loc.searchParams.get("code")).toBeNull();
  });

  it("refuses a wrong PKCE verifier, a reused code and a bad client secret", async () => {
    const clientId = newClient();
    const { challenge } = await pkce();
    const other = await pkce();
    const code = await codeFor(f, clientId, challenge);
    const bad = await tokenCall(f, clientId, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      code_verifier: other.verifier,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe("invalid_grant");

    const { verifier, challenge: c2 } = await pkce();
    const code2 = await codeFor(f, clientId, c2);
    const params = {
      grant_type: "authorization_code",
      code: code2,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    };
    expect((await tokenCall(f, clientId, params)).status).toBe(200);
    const reuse = await tokenCall(f, clientId, params);
    expect(reuse.status).toBe(400);
    expect(reuse.json.error).toBe("invalid_grant");

    const code3 = await codeFor(f, clientId);
    const secret = await tokenCall(
      f,
      clientId,
      { grant_type: "authorization_code", code: code3, redirect_uri: REDIRECT },
      "invalid-secret",
    );
    expect(secret.status).toBe(401);
    expect(secret.json.error).toBe("invalid_client");

    const unknown = await tokenCall(f, clientId, {
      grant_type: "refresh_token",
      refresh_token: "sbx_rt_nope",
    });
    expect(unknown.json.error).toBe("invalid_grant");
  });

  it("binds the code to the redirect_uri and expires it after 10 minutes", async () => {
    const clientId = newClient();
    const wrongUri = await tokenCall(f, clientId, {
      grant_type: "authorization_code",
      code: await codeFor(f, clientId),
      redirect_uri: "https://evil.example.com/cb",
    });
    expect(wrongUri.json.error).toBe("invalid_grant");
    const code = await codeFor(f, clientId);
    await advance(clientId, 601);
    const late = await tokenCall(f, clientId, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
    });
    expect(late.json.error).toBe("invalid_grant");
  });

  it("shows a consent page whose forms approve or deny", async () => {
    const clientId = newClient();
    const page = await authorize(f, clientId, { state: "s-page" });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.text).toContain(f.scope.split(" ")[0]);
    expect(page.text).toMatch(/<form method="post" action="\/sandbox\/[^"]+"/);
    expect(page.text).toContain('value="approve"');
    expect(page.text).toContain('value="deny"');
    expect(page.text).not.toMatch(/<(script|link|img)\b/);
    const action = page.text.match(/action="([^"]+)"/)?.[1] as string;
    const request = page.text.match(/name="request" value="([^"]+)"/)?.[1] as string;
    const approve = await nav("POST", action, form({ request, decision: "approve" }));
    expect(approve.status).toBe(302);
    expect(locationOf(approve).searchParams.get("code")).toMatch(/^sbx_code_/);
    expect(locationOf(approve).searchParams.get("state")).toBe("s-page");
    // The pending request is used up.
    const again = await nav("POST", action, form({ request, decision: "approve" }));
    expect(again.status).toBe(400);

    const page2 = await authorize(f, clientId);
    const request2 = page2.text.match(/name="request" value="([^"]+)"/)?.[1] as string;
    const deny = await nav("POST", action, form({ request: request2, decision: "deny" }));
    expect(locationOf(deny).searchParams.get("error")).toBe("access_denied");
  });

  it("refuses an invalid client id or redirect URI with an error page, bad PKCE method by redirect", async () => {
    const r = await authorize(f, "invalid-client", { auto: "approve" });
    expect(r.status).toBe(400);
    expect(r.headers.get("location")).toBeNull();
    const q = new URLSearchParams({
      response_type: "code",
      client_id: newClient(),
      redirect_uri: "/relative",
    });
    expect((await nav("GET", `/sandbox/${f.id}${f.authorize}?${q}`)).status).toBe(400);
    const plain = new URLSearchParams({
      response_type: "code",
      client_id: newClient(),
      redirect_uri: REDIRECT,
      state: "p",
      code_challenge: "a".repeat(43),
      code_challenge_method: "plain",
    });
    const m = await nav("GET", `/sandbox/${f.id}${f.authorize}?${plain}`);
    expect(m.status).toBe(302);
    expect(locationOf(m).searchParams.get("error")).toBe("invalid_request");
    const token = new URLSearchParams({
      response_type: "token",
      client_id: newClient(),
      redirect_uri: REDIRECT,
    });
    const t = await nav("GET", `/sandbox/${f.id}${f.authorize}?${token}`);
    expect(locationOf(t).searchParams.get("error")).toBe("unsupported_response_type");
  });

  it("gives 60-second access tokens to a client id containing 'short'", async () => {
    if (f.id === "salesforce") return; // Salesforce's token response carries no expires_in.
    const clientId = newClient("short-");
    const code = await codeFor(f, clientId);
    const tok = await tokenCall(f, clientId, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
    });
    expect(tok.json.expires_in).toBe(60);
  });
});

describe("refresh token rotation", () => {
  for (const f of FLOWS.filter((x) => x.rotates)) {
    it(`${f.id}: the previous refresh token works within its grace, then is refused`, async () => {
      const clientId = newClient();
      const code = await codeFor(f, clientId);
      const tok = await tokenCall(f, clientId, {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
      });
      const first = tok.json.refresh_token;
      const r1 = await tokenCall(f, clientId, { grant_type: "refresh_token", refresh_token: first });
      const second = r1.json.refresh_token;
      expect(second).not.toBe(first);
      // Within the grace period the old token answers with the current one.
      const retry = await tokenCall(f, clientId, { grant_type: "refresh_token", refresh_token: first });
      expect(retry.status).toBe(200);
      expect(retry.json.refresh_token).toBe(second);
      await advance(clientId, (f.grace as number) + 1);
      const late = await tokenCall(f, clientId, { grant_type: "refresh_token", refresh_token: first });
      expect(late.status).toBe(400);
      expect(late.json.error).toBe("invalid_grant");
      const ok = await tokenCall(f, clientId, { grant_type: "refresh_token", refresh_token: second });
      expect(ok.status).toBe(200);
      expect(await stats(clientId)).toEqual({ token_requests: 1, refresh_requests: 4 });
    });
  }

  it("salesforce rotates only for a client id containing 'rotate', without grace", async () => {
    const f = FLOWS.find((x) => x.id === "salesforce") as Flow;
    const clientId = newClient("rotate-");
    const code = await codeFor(f, clientId);
    const tok = await tokenCall(f, clientId, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
    });
    const r1 = await tokenCall(f, clientId, {
      grant_type: "refresh_token",
      refresh_token: tok.json.refresh_token,
    });
    expect(r1.json.refresh_token).toMatch(/^sbx_rt_/);
    expect(r1.json.refresh_token).not.toBe(tok.json.refresh_token);
    const old = await tokenCall(f, clientId, {
      grant_type: "refresh_token",
      refresh_token: tok.json.refresh_token,
    });
    expect(old.json.error).toBe("invalid_grant");
  });

  it("google issues no refresh token without access_type=offline", async () => {
    const f = { ...(FLOWS.find((x) => x.id === "google_calendar") as Flow), extra: {} };
    const clientId = newClient();
    const code = await codeFor(f, clientId);
    const tok = await tokenCall(f, clientId, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
    });
    expect(tok.status).toBe(200);
    expect(tok.json.refresh_token).toBeUndefined();
  });

  it("quickbooks needs Basic client authentication", async () => {
    const clientId = newClient();
    const f = FLOWS.find((x) => x.id === "quickbooks") as Flow;
    const code = await codeFor(f, clientId);
    const r = await call("POST", "/sandbox/quickbooks/oauth2/v1/tokens/bearer", {
      raw: form({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        client_id: clientId,
        client_secret: "s",
      }),
      contentType: FORM,
    });
    expect(r.status).toBe(401);
    expect(r.json.error).toBe("invalid_client");
  });

  it("xero lists the connection's tenant and refuses a revoked token there", async () => {
    const f = FLOWS.find((x) => x.id === "xero") as Flow;
    const clientId = newClient();
    const code = await codeFor(f, clientId);
    const tok = await tokenCall(f, clientId, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
    });
    const conns = await call("GET", "/sandbox/xero/connections", { key: tok.json.access_token });
    expect(conns.json).toEqual([
      expect.objectContaining({
        id: expect.any(String),
        tenantId: expect.any(String),
        tenantType: "ORGANISATION",
      }),
    ]);
    const org = await call("GET", "/sandbox/xero/api.xro/2.0/Organisation", {
      key: tok.json.access_token,
      headers: { "xero-tenant-id": conns.json[0].tenantId, accept: "application/json" },
    });
    expect(org.status).toBe(200);
    await f.revoke(tok.json.access_token, clientId);
    expect((await call("GET", "/sandbox/xero/connections", { key: tok.json.access_token })).status).toBe(401);
  });
});

describe("facebook OAuth server", () => {
  const fb = { id: "facebook", authorize: "/v25.0/dialog/oauth", scope: "pages_show_list,pages_messaging" };
  const tokenUrl = (params: Record<string, string>) =>
    `/sandbox/facebook/v25.0/oauth/access_token?${new URLSearchParams(params)}`;

  it("exchanges a code by GET, then for a long-lived token, and revokes via me/permissions", async () => {
    const clientId = newClient();
    const { verifier, challenge } = await pkce();
    const auth = await authorize(fb, clientId, { challenge, auto: "approve" });
    const code = locationOf(auth).searchParams.get("code") as string;
    const base = { client_id: clientId, client_secret: "secret", redirect_uri: REDIRECT };
    const tok = await call("GET", tokenUrl({ ...base, code, code_verifier: verifier }));
    expect(tok.status).toBe(200);
    expect(tok.json).toMatchObject({ token_type: "bearer", expires_in: 3600 });
    expect(tok.json.refresh_token).toBeUndefined();
    expect((await call("GET", "/sandbox/facebook/v25.0/me", { key: tok.json.access_token })).status).toBe(
      200,
    );

    const long = await call(
      "GET",
      tokenUrl({
        grant_type: "fb_exchange_token",
        client_id: clientId,
        client_secret: "secret",
        fb_exchange_token: tok.json.access_token,
      }),
    );
    expect(long.json).toMatchObject({ token_type: "bearer", expires_in: 5184000 });
    expect(await stats(clientId)).toEqual({ token_requests: 1, refresh_requests: 1 });

    const del = await call("DELETE", "/sandbox/facebook/v25.0/me/permissions", {
      key: long.json.access_token,
    });
    expect(del.json).toEqual({ success: true });
    const again = await call(
      "GET",
      tokenUrl({
        grant_type: "fb_exchange_token",
        client_id: clientId,
        client_secret: "secret",
        fb_exchange_token: long.json.access_token,
      }),
    );
    expect(again.json.error.code).toBe(190);

    // Reusing the code is refused (and would revoke what it issued).
    const reuse = await call("GET", tokenUrl({ ...base, code, code_verifier: verifier }));
    expect(reuse.status).toBe(400);
    expect(reuse.json.error).toMatchObject({ type: "OAuthException", code: 100 });
    expect(await stats(clientId)).toEqual({ token_requests: 2, refresh_requests: 2 });
  });

  it("denies with error_reason=user_denied and refuses a bad secret", async () => {
    const deny = await authorize(fb, newClient(), { auto: "deny", state: "fb" });
    expect(locationOf(deny).searchParams.get("error_reason")).toBe("user_denied");
    expect(locationOf(deny).searchParams.get("state")).toBe("fb");
    const clientId = newClient();
    const code = locationOf(await authorize(fb, clientId, { auto: "approve" })).searchParams.get(
      "code",
    ) as string;
    const bad = await call(
      "GET",
      tokenUrl({ client_id: clientId, client_secret: "invalid", redirect_uri: REDIRECT, code }),
    );
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ type: "OAuthException", code: 1 });
  });
});

describe("instagram OAuth server", () => {
  const ig = {
    id: "instagram",
    authorize: "/oauth/authorize",
    scope: "instagram_business_basic,instagram_business_manage_messages",
  };

  it("short-lived token, long-lived exchange and refresh", async () => {
    const clientId = newClient();
    const { verifier, challenge } = await pkce();
    const auth = await authorize(ig, clientId, { challenge, auto: "approve" });
    const code = locationOf(auth).searchParams.get("code") as string;
    const params = {
      client_id: clientId,
      client_secret: "secret",
      grant_type: "authorization_code",
      redirect_uri: REDIRECT,
      code,
    };
    const wrong = await call("POST", "/sandbox/instagram/oauth/access_token", {
      raw: form({ ...params, code_verifier: (await pkce()).verifier }),
      contentType: FORM,
    });
    expect(wrong.json).toMatchObject({ error_type: "OAuthException", code: 400 });

    const auth2 = await authorize(ig, clientId, { challenge, auto: "approve" });
    const code2 = locationOf(auth2).searchParams.get("code") as string;
    const tok = await call("POST", "/sandbox/instagram/oauth/access_token", {
      raw: form({ ...params, code: code2, code_verifier: verifier }),
      contentType: FORM,
    });
    expect(tok.status).toBe(200);
    expect(tok.json).toMatchObject({
      access_token: expect.stringMatching(/^sbx_at_/),
      permissions: ["instagram_business_basic", "instagram_business_manage_messages"],
    });
    expect((await call("GET", "/sandbox/instagram/v25.0/me", { key: tok.json.access_token })).status).toBe(
      200,
    );

    const notYet = await call(
      "GET",
      `/sandbox/instagram/refresh_access_token?grant_type=ig_refresh_token&access_token=${tok.json.access_token}`,
    );
    expect(notYet.json.error.code).toBe(190);
    const long = await call(
      "GET",
      `/sandbox/instagram/access_token?grant_type=ig_exchange_token&client_secret=secret&access_token=${tok.json.access_token}`,
    );
    expect(long.json).toMatchObject({ token_type: "bearer", expires_in: 5184000 });
    const refreshed = await call(
      "GET",
      `/sandbox/instagram/refresh_access_token?grant_type=ig_refresh_token&access_token=${long.json.access_token}`,
    );
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.access_token).not.toBe(long.json.access_token);
    expect(await stats(clientId)).toEqual({ token_requests: 2, refresh_requests: 3 });
  });
});
