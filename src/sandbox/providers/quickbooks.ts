/**
 * Simulated QuickBooks Online Accounting API: company info
 * (`GET /v3/company/{realmId}/companyinfo/{realmId}`) with a Bearer access token. Like Intuit,
 * it answers XML unless the request accepts JSON; auth faults use the lower-case
 * `fault.error[].message = "message=AuthenticationFailed; errorCode=003200; statusCode=401"`
 * form, validation faults the capitalised `Fault.Error[].Message` form.
 */
import type { Context } from "hono";
import { simulator } from "../lib.ts";
import { validBearer } from "./other.ts";

export const quickbooks = simulator();

const wantsJson = (c: Context) => (c.req.header("accept") ?? "").includes("application/json");

const xml = (status: number, inner: string) =>
  new Response(
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="${new Date().toISOString()}">${inner}</IntuitResponse>`,
    { status, headers: { "content-type": "application/xml" } },
  );

/** An authentication (401) or authorization (403) fault, as Intuit's gateway sends it. */
function authFault(c: Context, status: 401 | 403) {
  const [name, code, type] =
    status === 401
      ? ["AuthenticationFailed", "3200", "AUTHENTICATION"]
      : ["AuthorizationFailed", "3100", "SERVICE"];
  const message = `message=${name}; errorCode=00${code}; statusCode=${status}`;
  if (!wantsJson(c)) {
    return xml(
      status,
      `<Fault type="${type}"><Error code="${code}"><Message>${message}</Message></Error></Fault>`,
    );
  }
  return c.json(
    {
      warnings: null,
      intuitObject: null,
      fault: { error: [{ message, detail: null, code, element: null }], type },
      report: null,
      queryResponse: null,
      batchItemResponse: [],
      attachableResponse: [],
      syncErrorResponse: null,
      requestId: null,
      time: Date.now(),
      status: null,
      cdcresponse: [],
    },
    status,
  );
}

/** A validation fault (400), e.g. 610 Object Not Found. */
function validationFault(c: Context, code: string, message: string, detail: string) {
  if (!wantsJson(c)) {
    return xml(
      400,
      `<Fault type="ValidationFault"><Error code="${code}" element=""><Message>${message}</Message><Detail>${detail}</Detail></Error></Fault>`,
    );
  }
  return c.json(
    {
      Fault: { Error: [{ Message: message, Detail: detail, code, element: "" }], type: "ValidationFault" },
      time: new Date().toISOString(),
    },
    400,
  );
}

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
