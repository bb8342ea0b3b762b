/**
 * Simulated Xero Accounting API: the Organisation (`GET /api.xro/2.0/Organisation`) with a Bearer
 * access token and the `xero-tenant-id` header. Auth failures are Xero's problem details:
 * 401 for the token, 403 `AuthenticationUnsuccessful` when the tenant header is missing or not
 * a tenant the token can reach. Like Xero, it answers XML unless the request accepts JSON. The
 * records routes (Contacts, Items, Invoices) are in xero/records.ts, Payments in xero/payments.ts.
 */
import { simulator } from "../lib.ts";
import { accessTokens, liveAccess } from "../oauth/state.ts";
import type { SimulatedOAuth } from "../oauth/types.ts";
import { validBearer } from "./other.ts";
import { problem, UUID_RE } from "./xero/gate.ts";
import { payments } from "./xero/payments.ts";
import { records } from "./xero/records.ts";

export { xeroAccount, xeroId } from "./xero/entities.ts";

export const xero = simulator();
const organisation = (tenantId: string) => ({
  APIKey: "",
  Name: "Demo Company (Global)",
  LegalName: "Demo Company (Global)",
  PaysTax: true,
  Version: "GLOBAL",
  OrganisationType: "COMPANY",
  BaseCurrency: "USD",
  CountryCode: "US",
  IsDemoCompany: true,
  OrganisationStatus: "ACTIVE",
  FinancialYearEndDay: 31,
  FinancialYearEndMonth: 12,
  Timezone: "EASTERNSTANDARDTIME",
  ShortCode: "!sbx01",
  OrganisationID: tenantId,
  Edition: "BUSINESS",
  Class: "PREMIUM",
});

xero.get("/api.xro/2.0/Organisation", (c) => {
  if (!validBearer(c.req.header("authorization"))) return problem(401);
  const tenant = c.req.header("xero-tenant-id") ?? "";
  if (!UUID_RE.test(tenant)) return problem(403);
  const headers = {
    "x-daylimit-remaining": "4999",
    "x-minlimit-remaining": "59",
    "x-appminlimit-remaining": "9999",
  };
  const org = organisation(tenant);
  if (!(c.req.header("accept") ?? "").includes("application/json")) {
    const xml = `<Response xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><Id>${crypto.randomUUID()}</Id><Status>OK</Status><ProviderName>Switchboard</ProviderName><Organisations><Organisation><Name>${org.Name}</Name><OrganisationID>${tenant}</OrganisationID><ShortCode>${org.ShortCode}</ShortCode></Organisation></Organisations></Response>`;
    return new Response(xml, { headers: { ...headers, "content-type": "text/xml; charset=utf-8" } });
  }
  return c.json(
    {
      Id: crypto.randomUUID(),
      Status: "OK",
      ProviderName: "Switchboard",
      DateTimeUTC: `/Date(${Date.now()})/`,
      Organisations: [org],
    },
    200,
    headers,
  );
});

xero.route("/", records);
xero.route("/", payments);

const XERO_TENANT = {
  id: "5e1fd0a1-3e2b-4a55-9a06-5a4d3f7c0001",
  tenantId: "b0f5c6d2-7a1e-4c3b-8d9f-2e6a1c4b0001",
};

/**
 * Xero's identity server: `/identity/connect/authorize`, `POST /connect/token` (Basic or body),
 * `POST /connect/revocation`, and `GET /connections` (the tenants a token reaches). A refresh
 * token needs `offline_access` (or no scope); it rotates, with 30 minutes' grace.
 */
export const xeroOAuth: SimulatedOAuth = {
  id: "xero",
  name: "Xero",
  authorize: "/identity/connect/authorize",
  scopeSeparator: /[\s+]+/,
  accessTtl: 1800,
  refresh: "rotate",
  grace: 1800,
  offline: (_q, s) => s.length === 0 || s.includes("offline_access"),
  token: {
    path: "/connect/token",
    clientAuth: "either",
    body: ({ access, refresh, grant }) => ({
      access_token: access.token,
      expires_in: access.expiresIn,
      token_type: "Bearer",
      ...(refresh ? { refresh_token: refresh } : {}),
      scope: grant.scopes.join(" "),
    }),
  },
  revoke: { path: "/connect/revocation", clientAuth: "either" },
  routes(app) {
    app.get("/connections", (c) => {
      const token = validBearer(c.req.header("authorization"));
      const known = token ? accessTokens.get(token) : undefined;
      if (!token || (known && !liveAccess(token))) {
        return c.json({ Title: "Unauthorized", Status: 401, Detail: "AuthenticationUnsuccessful" }, 401);
      }
      const at = new Date().toISOString().replace(/\.\d+Z$/, "");
      return c.json([
        {
          id: XERO_TENANT.id,
          authEventId: crypto.randomUUID(),
          tenantId: XERO_TENANT.tenantId,
          tenantType: "ORGANISATION",
          tenantName: "Demo Company (Global)",
          createdDateUtc: at,
          updatedDateUtc: at,
        },
      ]);
    });
  },
};
