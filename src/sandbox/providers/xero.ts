/**
 * Simulated Xero Accounting API: the Organisation (`GET /api.xro/2.0/Organisation`) with a Bearer
 * access token and the `xero-tenant-id` header. Auth failures are Xero's problem details:
 * 401 for the token, 403 `AuthenticationUnsuccessful` when the tenant header is missing or not
 * a tenant the token can reach. Like Xero, it answers XML unless the request accepts JSON.
 */
import { simulator } from "../lib.ts";
import { validBearer } from "./other.ts";

export const xero = simulator();

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const problem = (status: 401 | 403) =>
  Response.json(
    {
      Type: null,
      Title: status === 401 ? "Unauthorized" : "Forbidden",
      Status: status,
      Detail: "AuthenticationUnsuccessful",
      Instance: crypto.randomUUID(),
      Extensions: {},
    },
    {
      status,
      headers: status === 401 ? { "www-authenticate": 'Bearer error="invalid_token"' } : {},
    },
  );

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
