/**
 * Simulated QuickBooks Online Accounting API: company info
 * (`GET /v3/company/{realmId}/companyinfo/{realmId}`) with a Bearer access token. Like Intuit,
 * it answers XML unless the request accepts JSON; auth faults use the lower-case
 * `fault.error[].message = "message=AuthenticationFailed; errorCode=003200; statusCode=401"`
 * form, validation faults the capitalised `Fault.Error[].Message` form. The records routes
 * (query, CDC, create/update) are in quickbooks/records.ts.
 */
import { simulator } from "../lib.ts";
import type { SimulatedOAuth } from "../oauth/types.ts";
import { validBearer } from "./other.ts";
import { authFault, validationFault, wantsJson, xml } from "./quickbooks/faults.ts";
import { records } from "./quickbooks/records.ts";

export { quickbooksAccount } from "./quickbooks/entities.ts";

export const quickbooks = simulator();
const COMPANY_INFO = {
  CompanyName: "Sandbox Company_US_1",
  LegalName: "Sandbox Company_US_1",
  CompanyAddr: {
    Id: "1",
    Line1: "123 Sierra Way",
    City: "San Pablo",
    CountrySubDivisionCode: "CA",
    PostalCode: "87999",
  },
  Country: "US",
  Email: { Address: "noreply@quickbooks.com" },
  SupportedLanguages: "en",
  FiscalYearStartMonth: "January",
  domain: "QBO",
  sparse: false,
  Id: "1",
  SyncToken: "4",
  MetaData: { CreateTime: "2026-01-05T10:00:00-08:00", LastUpdatedTime: "2026-02-01T09:30:00-08:00" },
};

quickbooks.get("/v3/company/:realm/companyinfo/:id", (c) => {
  if (!validBearer(c.req.header("authorization"))) return authFault(c, 401);
  const realm = c.req.param("realm");
  // A realm the token was not issued for is an authorization failure.
  if (!/^\d+$/.test(realm)) return authFault(c, 403);
  if (c.req.param("id") !== realm) {
    return validationFault(
      c,
      "610",
      "Object Not Found",
      "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
    );
  }
  const info = COMPANY_INFO;
  if (!wantsJson(c)) {
    return xml(
      200,
      `<CompanyInfo domain="QBO" sparse="false"><Id>1</Id><CompanyName>${info.CompanyName}</CompanyName><LegalName>${info.LegalName}</LegalName><Country>${info.Country}</Country></CompanyInfo>`,
    );
  }
  return c.json({ CompanyInfo: info, time: new Date().toISOString() });
});

quickbooks.route("/", records);

const QB_REALM = "9130350000000001";
const QB_REFRESH_TTL = 8_726_400;

/**
 * Intuit's authorization server: `/connect/oauth2` (the redirect carries `realmId`),
 * `POST /oauth2/v1/tokens/bearer` (Basic only), `POST /v2/oauth2/tokens/revoke`. Refresh tokens
 * live 101 days and rotate on every refresh; the previous one works 24 h more.
 */
export const quickbooksOAuth: SimulatedOAuth = {
  id: "quickbooks",
  name: "Intuit QuickBooks",
  authorize: "/connect/oauth2",
  scopeSeparator: /[\s+]+/,
  accessTtl: 3600,
  refresh: "rotate",
  grace: 24 * 3600,
  refreshTtl: QB_REFRESH_TTL,
  offline: () => true,
  codeRedirect: { realmId: QB_REALM },
  token: {
    path: "/oauth2/v1/tokens/bearer",
    clientAuth: "basic",
    body: ({ access, refresh }) => ({
      token_type: "bearer",
      access_token: access.token,
      expires_in: access.expiresIn,
      refresh_token: refresh,
      x_refresh_token_expires_in: QB_REFRESH_TTL,
    }),
  },
  revoke: { path: "/v2/oauth2/tokens/revoke", clientAuth: "basic" },
};
