/**
 * Test connection for the CRM, calendar, accounting and custom providers through the sandbox:
 * a working connection says something real about the account; a refused credential fails the
 * test with the provider's reason, marks the integration `error` and recovers once fixed. Then
 * the simulators' strictness (each answers a malformed request the way the real API does), and
 * the clients' real-API base URLs and SigV4 signing.
 */
import { describe, expect, it } from "vitest";
import { test as quickbooksTest } from "../../src/providers/quickbooks/client.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import { test as salesforceTest } from "../../src/providers/salesforce/client.ts";
import { signRequest } from "../../src/providers/sql_accounting/client.ts";
import { call, newIntegration, newOrg } from "../harness.ts";

interface Case {
  label: string;
  /** A working integration, as a client creates it. */
  body: Record<string, unknown>;
  ok: string;
  /** Replaces the credential with one the provider refuses. */
  invalid: Record<string, string>;
  failure: string;
  /** Puts the working credential back. */
  fix: Record<string, string>;
  /** Secret values that must never appear in a response. */
  secrets: string[];
}

const TENANT = "3f9f3a3e-1c1b-4d55-9a6e-2b1f0c9d8e7a";

const cases: Case[] = [
  {
    label: "hubspot (private app token)",
    body: { provider: "hubspot", private_app_token: "pat-na1-11111111-2222-3333-4444-555555555555" },
    ok: "Connected to HubSpot account 24681357 (app.hubspot.com)",
    invalid: { private_app_token: "pat-na1-invalid-0000" },
    failure: "HubSpot: Authentication credentials not found (HTTP 401)",
    fix: { private_app_token: "pat-na1-22222222-3333-4444-5555-666666666666" },
    secrets: ["pat-na1-11111111-2222-3333-4444-555555555555", "pat-na1-invalid-0000"],
  },
  {
    label: "hubspot (OAuth access token)",
    body: { provider: "hubspot", access_token: "CJSP5qf1KhICAQEYs-gDIIGOBii1" },
    ok: "Connected to HubSpot account 24681357 (app.hubspot.com)",
    invalid: { access_token: "CJSP-expired-token" },
    failure: "HubSpot: The OAuth token used to make this call expired 2 hour(s) ago (HTTP 401)",
    fix: { access_token: "CJSP5qf1KhICAQEYs-fresh" },
    secrets: ["CJSP5qf1KhICAQEYs-gDIIGOBii1", "CJSP-expired-token"],
  },
  {
    label: "salesforce",
    body: {
      provider: "salesforce",
      access_token: "00D5g000004ABCD!AQ0AQ.sandbox-session",
      instance_url: "https://acme.my.salesforce.com",
    },
    ok: "Connected to Salesforce: 14998 of 15000 daily API requests left",
    invalid: { access_token: "00D5g000004ABCD!invalid-session" },
    failure: "Salesforce: Session expired or invalid (HTTP 401)",
    fix: { access_token: "00D5g000004ABCD!AQ0AQ.new-session" },
    secrets: ["00D5g000004ABCD!AQ0AQ.sandbox-session", "00D5g000004ABCD!invalid-session"],
  },
  {
    label: "odoo_crm",
    body: {
      provider: "odoo_crm",
      api_base_url: "https://acme.odoo.com",
      database: "acme",
      username: "admin@example.com",
      api_key: "0123456789abcdef0123456789abcdef01234567",
    },
    ok: 'Connected to Odoo database "acme" as admin@example.com (user id 2)',
    invalid: { api_key: "invalid0123456789abcdef0123456789abcdef" },
    failure: 'Odoo: wrong login or API key for database "acme"',
    fix: { api_key: "89abcdef0123456789abcdef0123456789abcdef" },
    secrets: ["0123456789abcdef0123456789abcdef01234567", "invalid0123456789abcdef0123456789abcdef"],
  },
  {
    label: "google_calendar",
    body: { provider: "google_calendar", access_token: "ya29.a0AfB_sandbox-token", calendar_id: "primary" },
    ok: 'Connected to Google Calendar "sandbox.user@example.com" (Europe/London)',
    invalid: { access_token: "ya29.invalid-token" },
    failure: "Google Calendar: Invalid Credentials (HTTP 401)",
    fix: { access_token: "ya29.a0AfB_new-token" },
    secrets: ["ya29.a0AfB_sandbox-token", "ya29.invalid-token"],
  },
  {
    label: "quickbooks",
    body: {
      provider: "quickbooks",
      access_token: "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.sandbox",
      realm_id: "9341453050071234",
      environment: "sandbox",
    },
    ok: 'Connected to QuickBooks company "Sandbox Company_US_1" (realm 9341453050071234)',
    invalid: { access_token: "eyJlbmMi.invalid" },
    failure: "QuickBooks: AuthenticationFailed (HTTP 401)",
    fix: { access_token: "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.fresh" },
    secrets: ["eyJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.sandbox", "eyJlbmMi.invalid"],
  },
  {
    label: "xero",
    body: { provider: "xero", access_token: "eyJhbGciOiJSUzI1NiJ9.sandbox", tenant_id: TENANT },
    ok: 'Connected to Xero organisation "Demo Company (Global)"',
    invalid: { access_token: "eyJhbGci.invalid" },
    failure: "Xero: AuthenticationUnsuccessful (HTTP 401)",
    fix: { access_token: "eyJhbGciOiJSUzI1NiJ9.fresh" },
    secrets: ["eyJhbGciOiJSUzI1NiJ9.sandbox", "eyJhbGci.invalid"],
  },
  {
    label: "sql_accounting",
    body: {
      provider: "sql_accounting",
      access_key: "0123456789abcdef0123456789abcdef.sql.my/APIUSER",
      api_key: "sql-secret-key-not-real",
    },
    ok: "Connected to SQL Account as API user APIUSER",
    // The sandbox cannot see the secret key (it only signs), so the access key is the refused one.
    invalid: { access_key: "0123456789abcdef0123456789abcdef.sql.my/INVALID" },
    failure: "SQL Account: The security token included in the request is invalid (HTTP 403)",
    fix: { access_key: "0123456789abcdef0123456789abcdef.sql.my/APIUSER" },
    secrets: ["sql-secret-key-not-real"],
  },
  {
    label: "autocount",
    body: { provider: "autocount", account_book_id: "12345", key_id: "9f1c2b7e", api_key: "ac-key-sandbox" },
    ok: "Connected to AutoCount account book 12345",
    invalid: { api_key: "ac-key-invalid" },
    failure: "AutoCount: Unauthorized (HTTP 401)",
    fix: { api_key: "ac-key-regenerated" },
    secrets: ["ac-key-sandbox", "ac-key-invalid"],
  },
  {
    label: "other",
    body: { provider: "other", api_base_url: "https://api.example.com/v1", api_key: "sk_custom_123" },
    ok: "Connected: https://hub.test/sandbox/other answered HTTP 200",
    invalid: { api_key: "sk_invalid_456" },
    failure: "Custom API: unauthorized (HTTP 401)",
    fix: { api_key: "sk_custom_789" },
    secrets: ["sk_custom_123", "sk_invalid_456"],
  },
];

describe.each(cases)("test connection: $label", (c) => {
  it("succeeds with what the provider says about the account", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { name: c.label, ...c.body });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, message: c.ok });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    for (const s of c.secrets) expect(r.text).not.toContain(s);
  });

  it("fails on a refused credential with the provider's reason, marks the integration, and recovers", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, { name: c.label, ...c.body, ...c.invalid });
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: false, message: c.failure });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: c.failure, error_count: 1 });
    for (const s of c.secrets) expect(r.text).not.toContain(s);

    await call("PATCH", `/api/integrations/${i.id}`, { key: org.adminKey, body: c.fix });
    const ok = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(ok.json).toMatchObject({ ok: true, message: c.ok });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const JSON_ACCEPT = { accept: "application/json" };

describe("sandbox strictness", () => {
  it("hubspot: no token or a non-Bearer scheme is INVALID_AUTHENTICATION", async () => {
    for (const headers of [{}, { authorization: "Basic dXNlcjpwYXNz" }] as Record<string, string>[]) {
      const r = await call("GET", "/sandbox/hubspot/account-info/v3/details", { headers });
      expect(r.status).toBe(401);
      expect(r.json).toMatchObject({
        status: "error",
        category: "INVALID_AUTHENTICATION",
        message: expect.stringMatching(/^Authentication credentials not found\./),
        correlationId: expect.any(String),
      });
    }
  });

  it("salesforce: no token is INVALID_SESSION_ID; a malformed API version is NOT_FOUND", async () => {
    const none = await call("GET", "/sandbox/salesforce/services/data/v62.0/limits");
    expect(none.status).toBe(401);
    expect(none.json).toEqual([{ message: "Session expired or invalid", errorCode: "INVALID_SESSION_ID" }]);
    const bad = await call("GET", "/sandbox/salesforce/services/data/62/limits", {
      headers: bearer("00D!x"),
    });
    expect(bad.status).toBe(404);
    expect(bad.json).toEqual([{ message: "The requested resource does not exist", errorCode: "NOT_FOUND" }]);
  });

  it("odoo_crm: a form body is refused before dispatch; a wrong arity is a TypeError with HTTP 200", async () => {
    const form = await call("POST", "/sandbox/odoo_crm/jsonrpc", {
      raw: "service=common&method=authenticate",
      contentType: "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(400);
    expect(form.text).toContain("is type=&#39;json&#39;");
    const rpc = (args: unknown[]) =>
      call("POST", "/sandbox/odoo_crm/jsonrpc", {
        body: {
          jsonrpc: "2.0",
          method: "call",
          params: { service: "common", method: "authenticate", args },
          id: 7,
        },
      });
    const short = await rpc(["acme", "admin@example.com", "key"]);
    expect(short.status).toBe(200);
    expect(short.json).toMatchObject({
      jsonrpc: "2.0",
      id: 7,
      error: {
        code: 200,
        message: "Odoo Server Error",
        data: {
          name: "builtins.TypeError",
          message: "exp_authenticate() missing 1 required positional argument: 'user_agent_env'",
        },
      },
    });
    const refused = await rpc(["acme", "admin@example.com", "invalid-key", {}]);
    expect(refused.json).toEqual({ jsonrpc: "2.0", id: 7, result: false });
  });

  it("google_calendar: no token is 401 `required`; an unknown calendar is 404 `notFound`", async () => {
    const none = await call("GET", "/sandbox/google_calendar/calendars/primary");
    expect(none.status).toBe(401);
    expect(none.json.error).toMatchObject({
      code: 401,
      status: "UNAUTHENTICATED",
      errors: [{ message: "Login Required.", reason: "required", location: "Authorization" }],
    });
    const missing = await call("GET", "/sandbox/google_calendar/calendars/nope", {
      headers: bearer("ya29.x"),
    });
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({ code: 404, errors: [{ reason: "notFound" }] });
  });

  it("quickbooks: no token is an AuthenticationFailed fault; XML unless JSON is accepted; realm mismatch is 610", async () => {
    const path = "/sandbox/quickbooks/v3/company/123/companyinfo/123?minorversion=75";
    const none = await call("GET", path, { headers: JSON_ACCEPT });
    expect(none.status).toBe(401);
    expect(none.json.fault).toEqual({
      error: [
        {
          message: "message=AuthenticationFailed; errorCode=003200; statusCode=401",
          detail: null,
          code: "3200",
          element: null,
        },
      ],
      type: "AUTHENTICATION",
    });
    const xml = await call("GET", path, { headers: bearer("tok") });
    expect(xml.status).toBe(200);
    expect(xml.headers.get("content-type")).toContain("application/xml");
    expect(xml.text).toContain("<CompanyName>Sandbox Company_US_1</CompanyName>");
    const other = await call("GET", "/sandbox/quickbooks/v3/company/123/companyinfo/456", {
      headers: { ...bearer("tok"), ...JSON_ACCEPT },
    });
    expect(other.status).toBe(400);
    expect(other.json.Fault).toMatchObject({
      type: "ValidationFault",
      Error: [{ Message: "Object Not Found", code: "610" }],
    });
  });

  it("xero: without xero-tenant-id is 403 AuthenticationUnsuccessful; XML unless JSON is accepted", async () => {
    const path = "/sandbox/xero/api.xro/2.0/Organisation";
    const noTenant = await call("GET", path, { headers: { ...bearer("tok"), ...JSON_ACCEPT } });
    expect(noTenant.status).toBe(403);
    expect(noTenant.json).toMatchObject({
      Type: null,
      Title: "Forbidden",
      Status: 403,
      Detail: "AuthenticationUnsuccessful",
      Extensions: {},
    });
    const noToken = await call("GET", path, { headers: { "xero-tenant-id": TENANT, ...JSON_ACCEPT } });
    expect(noToken.status).toBe(401);
    expect(noToken.json).toMatchObject({ Title: "Unauthorized", Detail: "AuthenticationUnsuccessful" });
    const xml = await call("GET", path, { headers: { ...bearer("tok"), "xero-tenant-id": TENANT } });
    expect(xml.status).toBe(200);
    expect(xml.headers.get("content-type")).toContain("text/xml");
    expect(xml.text).toContain(`<OrganisationID>${TENANT}</OrganisationID>`);
  });

  it("sql_accounting: no signature, another scheme or a stale x-amz-date are refused", async () => {
    const none = await call("GET", "/sandbox/sql_accounting/agent");
    expect(none.status).toBe(403);
    expect(none.json).toEqual({ message: "Missing Authentication Token" });
    const wrongScheme = await call("GET", "/sandbox/sql_accounting/agent", { headers: bearer("tok") });
    expect(wrongScheme.status).toBe(403);
    expect(wrongScheme.json.message).toMatch(/^Authorization header requires 'Credential' parameter/);
    const key = {
      accessKey: "0123456789abcdef0123456789abcdef.sql.my/APIUSER",
      secretKey: "example-secret-not-real",
      region: "ap-southeast-5",
      service: "sqlaccount",
    };
    const stale = await signRequest(
      new Request("https://hub.test/sandbox/sql_accounting/agent"),
      key,
      "20200101T000000Z",
    );
    const r = await call("GET", "/sandbox/sql_accounting/agent", {
      headers: Object.fromEntries(stale.headers),
    });
    expect(r.status).toBe(403);
    expect(r.json.message).toMatch(/^Signature expired: 20200101T000000Z/);
  });

  it("autocount: a missing API-Key header is 401 with AutoCount's error body", async () => {
    const r = await call("GET", "/sandbox/autocount/12345/creditor/listing?page=1", {
      headers: { "Key-ID": "k" },
    });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ statusCode: 401, message: "401 Unauthorized." });
  });

  it("other: any path answers a valid Bearer token, and 401 without one", async () => {
    const ok = await call("POST", "/sandbox/other/anything/at/all", { headers: bearer("sk_1") });
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ ok: true });
    const none = await call("GET", "/sandbox/other/anything", { headers: { "x-api-key": "sk_1" } });
    expect(none.status).toBe(401);
  });
});

/** A context for calling a client directly with a stub HTTP client that records the request. */
function stubContext(baseUrl: string, config: Record<string, unknown>, answer: unknown) {
  const seen: Request[] = [];
  const ctx: ProviderContext = {
    baseUrl,
    config,
    secrets: { access_token: "tok" },
    timeoutMs: 1000,
    http: async (req) => {
      seen.push(req);
      return Response.json(answer);
    },
  };
  return { ctx, seen };
}

describe("real API base URLs", () => {
  it("salesforce calls the integration's instance_url when the base URL is the login host", async () => {
    const { ctx, seen } = stubContext(
      "https://login.salesforce.com",
      { instance_url: "https://acme.my.salesforce.com/" },
      { DailyApiRequests: { Max: 100, Remaining: 99 } },
    );
    await expect(salesforceTest(ctx)).resolves.toMatchObject({
      message: "Connected to Salesforce: 99 of 100 daily API requests left",
    });
    expect(seen[0]?.url).toBe("https://acme.my.salesforce.com/services/data/v62.0/limits");
    expect(seen[0]?.headers.get("authorization")).toBe("Bearer tok");
  });

  it("salesforce refuses an instance_url that is not a Salesforce host", async () => {
    const { ctx, seen } = stubContext(
      "https://login.salesforce.com",
      { instance_url: "https://evil.example" },
      {},
    );
    await expect(salesforceTest(ctx)).rejects.toMatchObject({ kind: "permanent" });
    expect(seen).toHaveLength(0);
  });

  it("quickbooks uses Intuit's sandbox host for environment sandbox, with minorversion 75", async () => {
    const { ctx, seen } = stubContext(
      "https://quickbooks.api.intuit.com",
      { realm_id: "42", environment: "sandbox" },
      { CompanyInfo: { CompanyName: "Acme" } },
    );
    await quickbooksTest(ctx);
    expect(seen[0]?.url).toBe(
      "https://sandbox-quickbooks.api.intuit.com/v3/company/42/companyinfo/42?minorversion=75",
    );
  });
});

describe("sql_accounting SigV4", () => {
  it("matches the known-answer vector (host;x-amz-date signed, access key with '/')", async () => {
    const signed = await signRequest(
      new Request("https://api.sql.my/agent?offset=0&limit=50"),
      {
        accessKey: "0123456789abcdef0123456789abcdef.sql.my/APIUSER",
        secretKey: "example-secret-not-real",
        region: "ap-southeast-5",
        service: "sqlaccount",
      },
      "20260101T000000Z",
    );
    expect(signed.headers.get("authorization")).toBe(
      "AWS4-HMAC-SHA256 Credential=0123456789abcdef0123456789abcdef.sql.my/APIUSER/20260101/ap-southeast-5/sqlaccount/aws4_request, SignedHeaders=host;x-amz-date, Signature=5405433a36b1d45e655795e954b4a7a88a576f44ba95491d9a96855108c1e412",
    );
    expect(signed.headers.get("x-amz-date")).toBe("20260101T000000Z");
    expect(signed.headers.get("x-amz-content-sha256")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });
});
