/**
 * Simulated QuickBooks Online Accounting API: company info
 * (`GET /v3/company/{realmId}/companyinfo/{realmId}`) with a Bearer access token. Like Intuit,
 * it answers XML unless the request accepts JSON; auth faults use the lower-case
 * `fault.error[].message = "message=AuthenticationFailed; errorCode=003200; statusCode=401"`
 * form, validation faults the capitalised `Fault.Error[].Message` form. The records routes
 * (query, CDC, create/update) are described below.
 */
import type { Context } from "hono";
import {
  countRequest,
  type DatasetItem,
  dataset,
  fieldsOf,
  type ItemFields,
  itemOf,
  takeFault,
  windowRetryAfter,
} from "../dataset.ts";
import { simulator } from "../lib.ts";
import type { SimulatedOAuth } from "../oauth/types.ts";
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

// ---------------------------------------------------------------------------------------------
// Records: query, CDC, read and create/update of Customer, Item and Invoice.
//
// The dataset account is the realm id in the path (`quickbooksAccount`); entities are the hub's
// names (customers, products, invoices). Every call counts against 500/min per realm (and a
// local 10/s window); over it, Intuit's 429 ThrottleExceeded fault with Retry-After. Customers
// and items are never deleted in QBO, only made inactive: soft-deleted ones are `Active: false`,
// listed by `WHERE Active = false` or `Active IN (true, false)` and in CDC; soft-deleted invoices
// appear only in CDC, as `{Id, status: "Deleted"}`. These routes answer JSON only.

/** The dataset account of a request: its realm id. */
export const quickbooksAccount = (realmId: string): string => realmId;

type Entity = "customers" | "products" | "invoices";

const BY_NAME: Record<string, { entity: Entity; name: string }> = {
  customer: { entity: "customers", name: "Customer" },
  item: { entity: "products", name: "Item" },
  invoice: { entity: "invoices", name: "Invoice" },
};

const MINUTE = 60_000;
const PER_SECOND = new Map<string, number[]>();

const iso = (ms: number) => new Date(ms).toISOString();
const round2 = (n: number) => Math.round(n * 100) / 100;

function fault(status: number, code: string, message: string, detail: string, type: string) {
  return Response.json(
    {
      Fault: { Error: [{ Message: message, Detail: detail, code, element: "" }], type },
      time: iso(Date.now()),
    },
    { status },
  );
}

const throttled = (retryAfter: number) =>
  Response.json(
    {
      Fault: {
        Error: [
          {
            Message: "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            Detail: "The request limit was reached. Try again later.",
            code: "003001",
          },
        ],
        type: "SERVICE",
      },
      time: iso(Date.now()),
    },
    { status: 429, headers: { "retry-after": String(retryAfter) } },
  );

/** An armed `_faults` status as Intuit answers it. */
function armedFault(c: Context, status: number, retryAfter: number): Response {
  if (status === 429) return throttled(retryAfter);
  if (status === 401 || status === 403) return authFault(c, status);
  if (status >= 500)
    return fault(
      status,
      "10000",
      "An application error has occurred while processing your request",
      "System Failure Error: An unexpected error occurred while accessing or saving your data. Please wait a few minutes and try again.",
      "SystemFault",
    );
  return fault(
    status,
    "2010",
    "Request has invalid or unsupported property",
    "Property Name:Can not construct instance of ... specified is unsupported or invalid",
    "ValidationFault",
  );
}

/** Faults, auth and the rate limits of one records call; a Response when it must stop there. */
function gate(c: Context): { realm: string } | Response {
  const armed = takeFault("quickbooks");
  if (armed) return armedFault(c, armed.status, armed.retryAfter);
  if (!validBearer(c.req.header("authorization"))) return authFault(c, 401);
  const realm = c.req.param("realm") ?? "";
  if (!/^\d+$/.test(realm)) return authFault(c, 403);
  const account = quickbooksAccount(realm);
  if (countRequest("quickbooks", account, 500, MINUTE)) {
    return throttled(windowRetryAfter("quickbooks", account, MINUTE));
  }
  const now = Date.now();
  const recent = (PER_SECOND.get(account) ?? []).filter((t) => t > now - 1000);
  if (recent.length >= 10) return throttled(1);
  recent.push(now);
  PER_SECOND.set(account, recent);
  return { realm };
}

const meta = (item: DatasetItem) => ({
  CreateTime: iso(item.createdAt),
  LastUpdatedTime: iso(item.modifiedAt),
});
const productName = (f: ItemFields) =>
  `${f.lines[0]?.description ?? `Item ${f.sku}`}${f.version > 1 ? ` v${f.version}` : ""}`;

/** The generated QBO object of an item (without Id, SyncToken, Active, MetaData). */
function generated(entity: Entity, f: ItemFields): Record<string, unknown> {
  if (entity === "customers") {
    return {
      domain: "QBO",
      sparse: false,
      GivenName: f.firstName,
      FamilyName: f.lastName,
      DisplayName: f.name,
      FullyQualifiedName: f.name,
      PrintOnCheckName: f.name,
      CompanyName: f.company,
      PrimaryEmailAddr: { Address: f.email },
      PrimaryPhone: { FreeFormNumber: f.phone },
      BillAddr: {
        Id: String(f.n + 100_000),
        Line1: f.street,
        City: f.city,
        CountrySubDivisionCode: f.region,
        PostalCode: f.postalCode,
        Country: f.country,
      },
      Taxable: false,
      Job: false,
      BillWithParent: false,
      Balance: 0,
      BalanceWithJobs: 0,
      CurrencyRef: { value: f.currency, name: "United States Dollar" },
      PreferredDeliveryMethod: "Print",
    };
  }
  if (entity === "products") {
    const name = productName(f);
    return {
      domain: "QBO",
      sparse: false,
      Name: name,
      FullyQualifiedName: name,
      Sku: f.sku,
      Description: `Sandbox product ${f.sku}`,
      UnitPrice: f.price,
      Type: "Service",
      IncomeAccountRef: { value: "1", name: "Services" },
      Taxable: false,
      TrackQtyOnHand: false,
      SubItem: false,
      Level: 0,
    };
  }
  const voided = f.status === "void";
  const lines = f.lines.map((l, i) => ({
    Id: String(i + 1),
    LineNum: i + 1,
    Description: l.description,
    Amount: voided ? 0 : round2(l.quantity * l.unitPrice),
    DetailType: "SalesItemLineDetail",
    SalesItemLineDetail: {
      ItemRef: { value: "1", name: "Services" },
      Qty: l.quantity,
      UnitPrice: l.unitPrice,
    },
  }));
  const total = voided ? 0 : f.total;
  return {
    domain: "QBO",
    sparse: false,
    DocNumber: String(1000 + f.n),
    TxnDate: f.issueDate,
    DueDate: f.dueDate,
    CurrencyRef: { value: f.currency, name: "United States Dollar" },
    CustomerRef: { value: String(f.customerN), name: fieldsOf(f.customerN).name },
    Line: [...lines, { Amount: total, DetailType: "SubTotalLineDetail", SubTotalLineDetail: {} }],
    TotalAmt: total,
    Balance: f.status === "paid" || voided ? 0 : total,
    ...(voided ? { PrivateNote: "Voided" } : {}),
    EmailStatus: "NotSet",
    PrintStatus: "NeedToPrint",
  };
}

/** The QBO object of a dataset item: pushed and updated ones keep their stored object. */
function render(entity: Entity, item: DatasetItem): Record<string, unknown> {
  const base = item.body ?? generated(entity, item.fields);
  return {
    ...(entity === "invoices" ? { DocNumber: String(1000 + item.n) } : {}),
    ...base,
    Id: String(item.n),
    SyncToken: String(item.fields.version - 1),
    ...(entity === "invoices" ? {} : { Active: !item.deleted }),
    MetaData: meta(item),
  };
}

const parserError = (detail: string) =>
  fault(400, "4000", "Error parsing query", `QueryParserError: ${detail}`, "ValidationFault");

interface Query {
  name: string;
  entity: Entity;
  active: "true" | "false" | "all";
  time: { op: string; ms: number }[];
  orderBy: "id" | "time";
  desc: boolean;
  start: number;
  max: number;
}

/** Parses the subset of the QBO query language the hub and tests use. */
function parseQuery(text: string): Query | Response {
  const m = text
    .trim()
    .match(
      /^select\s+\*\s+from\s+(\w+)(?:\s+where\s+(.+?))?(?:\s+orderby\s+([\w.]+)(?:\s+(asc|desc))?)?(?:\s+startposition\s+(\d+))?(?:\s+maxresults\s+(\d+))?$/i,
    );
  if (!m?.[1]) return parserError(`Encountered " <IDENTIFIER> "${text.slice(0, 40)}"" at line 1`);
  const target = BY_NAME[m[1].toLowerCase()];
  if (!target)
    return fault(
      400,
      "4001",
      "Invalid query",
      `QueryValidationError: Entity ${m[1]} not found`,
      "ValidationFault",
    );
  const q: Query = {
    name: target.name,
    entity: target.entity,
    active: "true",
    time: [],
    orderBy: (m[3] ?? "Id").toLowerCase() === "id" ? "id" : "time",
    desc: (m[4] ?? "").toLowerCase() === "desc",
    start: Math.max(1, Number(m[5] ?? 1)),
    max: Math.min(1000, Math.max(1, Number(m[6] ?? 100))),
  };
  if (m[3] && !/^(id|metadata\.lastupdatedtime)$/i.test(m[3])) return parserError(`unknown ORDERBY ${m[3]}`);
  for (const cond of m[2] ? m[2].split(/\s+and\s+/i) : []) {
    const c = cond.trim();
    const active = c.match(/^active\s*=\s*(true|false)$/i);
    const time = c.match(/^metadata\.lastupdatedtime\s*(>=|<=|>|<|=)\s*'([^']+)'$/i);
    if (/^active\s+in\s*\(\s*(true\s*,\s*false|false\s*,\s*true)\s*\)$/i.test(c)) q.active = "all";
    else if (active) q.active = active[1]?.toLowerCase() === "false" ? "false" : "true";
    else if (time) {
      const ms = Date.parse(time[2] ?? "");
      if (!Number.isFinite(ms)) return parserError(`invalid date ${time[2]}`);
      q.time.push({ op: time[1] ?? ">", ms });
    } else return parserError(`Encountered "${c.slice(0, 40)}" at line 1`);
  }
  return q;
}

const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  "=": (a, b) => a === b,
};

quickbooks.get("/v3/company/:realm/query", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const q = parseQuery(c.req.query("query") ?? "");
  if (q instanceof Response) return q;
  const d = dataset("quickbooks", quickbooksAccount(g.realm), q.entity);
  // Invoices have no Active flag: deleted ones are gone from queries.
  const withInactive = q.entity !== "invoices" && q.active !== "true";
  let rows = d.list({ includeDeleted: withInactive, byModified: q.orderBy === "time" });
  if (q.entity !== "invoices" && q.active === "false") rows = rows.filter((e) => e.deleted);
  for (const t of q.time) rows = rows.filter((e) => COMPARE[t.op]?.(e.modifiedAt, t.ms));
  if (q.desc) rows = [...rows].reverse();
  const slice = rows.slice(q.start - 1, q.start - 1 + q.max).map((e) => render(q.entity, itemOf(e)));
  return c.json({
    QueryResponse: slice.length ? { [q.name]: slice, startPosition: q.start, maxResults: slice.length } : {},
    time: iso(Date.now()),
  });
});

/** CDC answers at most this many objects, across all requested entities. */
const CDC_MAX = 1000;

quickbooks.get("/v3/company/:realm/cdc", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const names = (c.req.query("entities") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const changedSince = c.req.query("changedSince") ?? "";
  const sinceMs = Date.parse(changedSince);
  if (!names.length || !Number.isFinite(sinceMs)) {
    return fault(
      400,
      "2020",
      "Required param missing, need to supply the required value for the API",
      `Required parameter ${names.length ? "changedSince" : "entities"} is missing in the request`,
      "ValidationFault",
    );
  }
  if (Date.now() - sinceMs > 30 * 86_400_000) {
    return fault(
      400,
      "2030",
      "Invalid ID",
      "changedSince cannot be more than 30 days in the past",
      "ValidationFault",
    );
  }
  const responses: Record<string, unknown>[] = [];
  let room = CDC_MAX;
  for (const raw of names) {
    const target = BY_NAME[raw.toLowerCase()];
    if (!target)
      return fault(
        400,
        "2010",
        "Request has invalid or unsupported property",
        `Property Name: ${raw} specified is unsupported or invalid`,
        "ValidationFault",
      );
    const d = dataset("quickbooks", quickbooksAccount(g.realm), target.entity);
    const rows = d.list({ sinceMs, includeDeleted: true, byModified: true }).slice(0, Math.max(0, room));
    room -= rows.length;
    const objects = rows.map((e) => {
      const item = itemOf(e);
      if (item.deleted && target.entity === "invoices")
        return {
          domain: "QBO",
          status: "Deleted",
          Id: String(item.n),
          MetaData: { LastUpdatedTime: iso(item.modifiedAt) },
        };
      return render(target.entity, item);
    });
    responses.push({
      [target.name]: objects,
      startPosition: 1,
      maxResults: objects.length,
      totalCount: objects.length,
    });
  }
  return c.json({ CDCResponse: [{ QueryResponse: responses }], time: iso(Date.now()) });
});

const notFound = () =>
  fault(
    400,
    "610",
    "Object Not Found",
    "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
    "ValidationFault",
  );

const missing = (name: string) =>
  fault(
    400,
    "2020",
    "Required param missing, need to supply the required value for the API",
    `Required parameter ${name} is missing in the request`,
    "ValidationFault",
  );

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

const text = (v: unknown) => typeof v === "string" && v.trim() !== "";

/** What QuickBooks refuses in a create (or an update's merged object); null when it is valid. */
function invalid(entity: Entity, realm: string, o: Record<string, unknown>): Response | null {
  if (entity === "customers") {
    const named = ["DisplayName", "GivenName", "FamilyName", "MiddleName", "Title", "Suffix"].some((k) =>
      text(o[k]),
    );
    return named ? null : missing("DisplayName");
  }
  if (entity === "products") {
    if (!text(o.Name)) return missing("Name");
    if (!text(o.Type)) return missing("Type");
    if (o.Type !== "Inventory" && o.Type !== "Category" && !text(obj(o.IncomeAccountRef)?.value))
      return missing("IncomeAccountRef");
    return null;
  }
  const customer = String(obj(o.CustomerRef)?.value ?? "");
  if (!customer) return missing("CustomerRef");
  const cust = dataset("quickbooks", quickbooksAccount(realm), "customers").get(Number(customer));
  if (!/^\d+$/.test(customer) || !cust || cust.deleted)
    return fault(
      400,
      "2500",
      "Invalid Reference Id",
      `Invalid Reference Id : Names element id ${customer} not found`,
      "ValidationFault",
    );
  const lines = Array.isArray(o.Line) ? o.Line : [];
  if (!lines.some((l) => obj(l)?.DetailType === "SalesItemLineDetail")) return missing("Line");
  if (lines.some((l) => obj(l)?.DetailType === "SalesItemLineDetail" && typeof obj(l)?.Amount !== "number"))
    return missing("Line.Amount");
  return null;
}

/** Fills in what QuickBooks computes on save: invoice totals and the default Services item. */
function computed(entity: Entity, o: Record<string, unknown>): Record<string, unknown> {
  if (entity === "customers") {
    const name = text(o.DisplayName) ? o.DisplayName : [o.GivenName, o.FamilyName].filter(text).join(" ");
    return { domain: "QBO", sparse: false, Balance: 0, ...o, DisplayName: name, FullyQualifiedName: name };
  }
  if (entity === "products") return { domain: "QBO", sparse: false, ...o, FullyQualifiedName: o.Name };
  const sales = (Array.isArray(o.Line) ? o.Line : [])
    .map((l) => obj(l))
    .filter((l): l is Record<string, unknown> => l?.DetailType === "SalesItemLineDetail")
    .map((l, i): Record<string, unknown> => {
      const detail = obj(l.SalesItemLineDetail) ?? {};
      return {
        Id: String(i + 1),
        LineNum: i + 1,
        ...l,
        SalesItemLineDetail: { ItemRef: { value: "1", name: "Services" }, ...detail },
      };
    });
  const total = round2(sales.reduce((s, l) => s + Number(l.Amount ?? 0), 0));
  const paid = o.TotalAmt !== undefined && o.Balance === 0;
  return {
    domain: "QBO",
    sparse: false,
    TxnDate: iso(Date.now()).slice(0, 10),
    ...o,
    Line: [...sales, { Amount: total, DetailType: "SubTotalLineDetail", SubTotalLineDetail: {} }],
    TotalAmt: total,
    Balance: paid ? 0 : total,
  };
}

for (const [path, { entity, name }] of Object.entries(BY_NAME)) {
  quickbooks.get(`/v3/company/:realm/${path}/:id`, (c) => {
    const g = gate(c);
    if (g instanceof Response) return g;
    const e = dataset("quickbooks", quickbooksAccount(g.realm), entity).get(Number(c.req.param("id")));
    if (!e || (e.deleted && entity === "invoices")) return notFound();
    return c.json({ [name]: render(entity, itemOf(e)), time: iso(Date.now()) });
  });

  quickbooks.post(`/v3/company/:realm/${path}`, async (c) => {
    const g = gate(c);
    if (g instanceof Response) return g;
    const sent = obj(await c.req.json().catch(() => null));
    if (!sent)
      return fault(
        400,
        "2010",
        "Request has invalid or unsupported property",
        "Property Name:Unexpected end-of-input specified is unsupported or invalid",
        "ValidationFault",
      );
    const d = dataset("quickbooks", quickbooksAccount(g.realm), entity);
    const { Id, SyncToken, sparse, MetaData: _meta, Active: _active, ...fields } = sent;
    if (Id === undefined) {
      const bad = invalid(entity, g.realm, fields);
      if (bad) return bad;
      const [n] = d.create(1, Date.now(), computed(entity, fields));
      const e = n === undefined ? undefined : d.get(n);
      if (!e) return notFound();
      return c.json({ [name]: render(entity, itemOf(e)), time: iso(Date.now()) });
    }
    const e = d.get(Number(Id));
    if (!/^\d+$/.test(String(Id)) || !e || e.deleted) return notFound();
    if (SyncToken === undefined || SyncToken === null || SyncToken === "") return missing("SyncToken");
    const current = render(entity, itemOf(e));
    if (String(SyncToken) !== current.SyncToken) {
      return fault(
        400,
        "5010",
        "Stale Object Error",
        `Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.`,
        "ValidationFault",
      );
    }
    const { Id: _id, SyncToken: _token, MetaData: _m, Active: _a, ...stored } = current;
    // A full (non-sparse) update replaces every writable field with what was sent.
    const merged = sparse === true ? { ...stored, ...fields } : { domain: "QBO", ...fields };
    const bad = invalid(entity, g.realm, merged);
    if (bad) return bad;
    d.update(e.n, computed(entity, merged));
    return c.json({ [name]: render(entity, itemOf(e)), time: iso(Date.now()) });
  });
}

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
