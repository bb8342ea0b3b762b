/**
 * Simulated Xero Accounting API: the Organisation (`GET /api.xro/2.0/Organisation`) with a Bearer
 * access token and the `xero-tenant-id` header. Auth failures are Xero's problem details:
 * 401 for the token, 403 `AuthenticationUnsuccessful` when the tenant header is missing or not
 * a tenant the token can reach. Like Xero, it answers XML unless the request accepts JSON. The
 * records routes (Contacts, Items, Invoices) are described below.
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
import { accessTokens, liveAccess } from "../oauth/state.ts";
import type { SimulatedOAuth } from "../oauth/types.ts";
import { validBearer } from "./other.ts";

export const xero = simulator();

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const problem = (status: 401 | 403): Response =>
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

// ---------------------------------------------------------------------------------------------
// Records: Contacts, Items and Invoices, listed and saved.
//
// The dataset account is the `xero-tenant-id` header (`xeroAccount`); entities are the hub's
// names (customers, products, invoices) and record ids are UUIDs made from the item index
// (`xeroId`). Every call counts against 60/min per tenant (429 with Retry-After and
// `X-Rate-Limit-Problem: minute`) and 5,000/day (`day`); answers carry the X-*-Limit-Remaining
// headers. Soft-deleted contacts are ARCHIVED (listed with `includeArchived=true`), soft-deleted
// invoices are listed with Status DELETED, and soft-deleted items are gone (Xero deletes items
// outright). Contacts and Invoices page with `page` and `pageSize` (default 100, at most 1000;
// without `page`, everything); Items never page. These routes answer JSON only.

/** The dataset account of a request: its tenant id. */
export const xeroAccount = (tenantId: string): string => tenantId.toLowerCase();

type Entity = "customers" | "products" | "invoices";

const PREFIX: Record<Entity, string> = { customers: "c0c0c0c0", products: "17e17e17", invoices: "1a1a1a1a" };

/** The Xero id (a UUID) of item `n` of an entity. */
export const xeroId = (entity: Entity, n: number): string =>
  `${PREFIX[entity]}-0000-4000-8000-${String(n).padStart(12, "0")}`;

/** The item index of a Xero id of `entity`, or null. */
function indexOf(entity: Entity, id: unknown): number | null {
  const m = typeof id === "string" ? id.toLowerCase().match(/^([0-9a-f]{8})-0000-4000-8000-(\d{12})$/) : null;
  return m && m[1] === PREFIX[entity] ? Number(m[2]) : null;
}

const MINUTE = 60_000;
const DAY_LIMIT = 5000;
const minuteCalls = new Map<string, number[]>();
const dayCalls = new Map<string, { day: string; count: number }>();

const xeroDate = (ms: number) => `/Date(${ms}+0000)/`;
const dayMs = (d: string) => Date.parse(`${d}T00:00:00Z`);
const round2 = (n: number) => Math.round(n * 100) / 100;

function limitHeaders(account: string): Record<string, string> {
  const now = Date.now();
  const minute = (minuteCalls.get(account) ?? []).filter((t) => t > now - MINUTE).length;
  const day = dayCalls.get(account)?.count ?? 0;
  return {
    "x-minlimit-remaining": String(Math.max(0, 60 - minute)),
    "x-daylimit-remaining": String(Math.max(0, DAY_LIMIT - day)),
    "x-appminlimit-remaining": "9999",
  };
}

function rateLimited(account: string, retryAfter: number, which: "minute" | "day") {
  return Response.json(
    { Title: "Too Many Requests", Status: 429, Detail: `You have exceeded the ${which} rate limit` },
    {
      status: 429,
      headers: { ...limitHeaders(account), "retry-after": String(retryAfter), "x-rate-limit-problem": which },
    },
  );
}

/** An armed `_faults` status as Xero answers it. */
function armedFault(status: number, retryAfter: number, account: string): Response {
  if (status === 429) return rateLimited(account, retryAfter, "minute");
  if (status === 401 || status === 403) return problem(status);
  if (status >= 500) {
    return Response.json(
      {
        Title: status === 503 ? "Service Unavailable" : "An error occurred",
        Status: status,
        Detail:
          "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status.",
      },
      { status },
    );
  }
  return Response.json(
    {
      ErrorNumber: 10,
      Type: "ValidationException",
      Message: "A validation exception occurred",
      Elements: [],
    },
    { status },
  );
}

/** Faults, auth and the rate limits of one records call; a Response when it must stop there. */
function gate(c: Context): { account: string; headers: Record<string, string> } | Response {
  const tenant = c.req.header("xero-tenant-id") ?? "";
  const armed = takeFault("xero");
  if (armed) return armedFault(armed.status, armed.retryAfter, xeroAccount(tenant));
  if (!validBearer(c.req.header("authorization"))) return problem(401);
  if (!UUID_RE.test(tenant)) return problem(403);
  const account = xeroAccount(tenant);
  if (countRequest("xero", account, 60, MINUTE)) {
    return rateLimited(account, windowRetryAfter("xero", account, MINUTE), "minute");
  }
  const today = new Date().toISOString().slice(0, 10);
  const day = dayCalls.get(account);
  const count = day?.day === today ? day.count : 0;
  if (count >= DAY_LIMIT) {
    const midnight = Date.parse(`${today}T00:00:00Z`) + 86_400_000;
    return rateLimited(account, Math.ceil((midnight - Date.now()) / 1000), "day");
  }
  dayCalls.set(account, { day: today, count: count + 1 });
  const now = Date.now();
  minuteCalls.set(account, [...(minuteCalls.get(account) ?? []).filter((t) => t > now - MINUTE), now]);
  return { account, headers: limitHeaders(account) };
}

/** `If-Modified-Since` as Xero takes it: `2009-11-12T00:00:00` (UTC) or an HTTP date. */
function modifiedSince(value: string | undefined): number | null {
  if (!value) return null;
  const v = /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value) ? `${value}Z` : value;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

const productName = (f: ItemFields) =>
  `${f.lines[0]?.description ?? f.sku}${f.version > 1 ? ` v${f.version}` : ""}`.slice(0, 50);

/** The generated Xero object of an item (without its id, status and UpdatedDateUTC). */
function generated(entity: Entity, f: ItemFields): Record<string, unknown> {
  if (entity === "customers") {
    return {
      Name: f.name,
      FirstName: f.firstName,
      LastName: f.lastName,
      EmailAddress: f.email,
      BankAccountDetails: "",
      Addresses: [
        { AddressType: "POBOX", City: "", Region: "", PostalCode: "", Country: "" },
        {
          AddressType: "STREET",
          AddressLine1: f.street,
          City: f.city,
          Region: f.region,
          PostalCode: f.postalCode,
          Country: f.country,
        },
      ],
      Phones: [
        { PhoneType: "DEFAULT", PhoneNumber: f.phone, PhoneAreaCode: "", PhoneCountryCode: "" },
        { PhoneType: "MOBILE", PhoneNumber: "", PhoneAreaCode: "", PhoneCountryCode: "" },
      ],
      ContactGroups: [],
      IsSupplier: false,
      IsCustomer: true,
      HasAttachments: false,
      HasValidationErrors: false,
    };
  }
  if (entity === "products") {
    return {
      Code: f.sku,
      Name: productName(f),
      Description: `Sandbox product ${f.sku}`,
      PurchaseDescription: "",
      IsSold: true,
      IsPurchased: false,
      SalesDetails: { UnitPrice: f.price, AccountCode: "200", TaxType: "OUTPUT" },
      PurchaseDetails: {},
      IsTrackedAsInventory: false,
    };
  }
  const status = { draft: "DRAFT", open: "AUTHORISED", paid: "PAID", void: "VOIDED" }[f.status];
  return {
    Type: "ACCREC",
    InvoiceNumber: `INV-${String(f.n).padStart(5, "0")}`,
    Reference: "",
    Contact: { ContactID: xeroId("customers", f.customerN), Name: fieldsOf(f.customerN).name },
    Date: xeroDate(dayMs(f.issueDate)),
    DateString: `${f.issueDate}T00:00:00`,
    DueDate: xeroDate(dayMs(f.dueDate)),
    DueDateString: `${f.dueDate}T00:00:00`,
    Status: status,
    LineAmountTypes: "Exclusive",
    LineItems: f.lines.map((l, i) => ({
      LineItemID: `11e11e11-0000-4000-8000-${String(f.n * 100 + i).padStart(12, "0")}`,
      Description: l.description,
      Quantity: l.quantity,
      UnitAmount: l.unitPrice,
      ItemCode: l.sku,
      AccountCode: "200",
      TaxType: "OUTPUT",
      TaxAmount: 0,
      LineAmount: round2(l.quantity * l.unitPrice),
    })),
    SubTotal: f.total,
    TotalTax: 0,
    Total: f.total,
    AmountDue: f.status === "paid" || f.status === "void" ? 0 : f.total,
    AmountPaid: f.status === "paid" ? f.total : 0,
    CurrencyCode: f.currency,
    CurrencyRate: 1,
    HasAttachments: false,
  };
}

const ID_FIELD: Record<Entity, string> = {
  customers: "ContactID",
  products: "ItemID",
  invoices: "InvoiceID",
};

/** The Xero object of a dataset item: pushed and updated ones keep their stored object. */
function render(entity: Entity, item: DatasetItem): Record<string, unknown> {
  const base = item.body ?? generated(entity, item.fields);
  return {
    [ID_FIELD[entity]]: xeroId(entity, item.n),
    ...(entity === "invoices" ? { InvoiceNumber: `INV-${String(item.n).padStart(5, "0")}` } : {}),
    ...base,
    ...(entity === "customers" ? { ContactStatus: item.deleted ? "ARCHIVED" : "ACTIVE" } : {}),
    ...(entity === "invoices" && item.deleted ? { Status: "DELETED" } : {}),
    UpdatedDateUTC: xeroDate(item.modifiedAt),
  };
}

const envelope = (collection: string, rows: unknown[], extra: Record<string, unknown> = {}) => ({
  Id: crypto.randomUUID(),
  Status: "OK",
  ProviderName: "Switchboard",
  DateTimeUTC: xeroDate(Date.now()),
  ...extra,
  [collection]: rows,
});

/** `page`/`pageSize` paging (pageSize at most 1000); without `page`, everything. */
function paged(c: Context, rows: Record<string, unknown>[]) {
  const pageParam = c.req.query("page");
  if (pageParam === undefined) return { rows, pagination: {} };
  const page = Math.max(1, Number.parseInt(pageParam, 10) || 1);
  const size = Math.min(1000, Math.max(1, Number.parseInt(c.req.query("pageSize") ?? "100", 10) || 100));
  return {
    rows: rows.slice((page - 1) * size, page * size),
    pagination: {
      pagination: { page, pageSize: size, pageCount: Math.ceil(rows.length / size), itemCount: rows.length },
    },
  };
}

xero.get("/api.xro/2.0/Contacts", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const sinceMs = modifiedSince(c.req.header("if-modified-since"));
  const archived = c.req.query("includeArchived")?.toLowerCase() === "true";
  const d = dataset("xero", g.account, "customers");
  const all = d.list({ sinceMs, includeDeleted: archived }).map((e) => render("customers", itemOf(e)));
  const { rows, pagination } = paged(c, all);
  return c.json(envelope("Contacts", rows, pagination), 200, g.headers);
});

xero.get("/api.xro/2.0/Items", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const sinceMs = modifiedSince(c.req.header("if-modified-since"));
  const d = dataset("xero", g.account, "products");
  const rows = d.list({ sinceMs }).map((e) => render("products", itemOf(e)));
  return c.json(envelope("Items", rows), 200, g.headers);
});

xero.get("/api.xro/2.0/Invoices", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const where = c.req.query("where");
  let type: string | null = null;
  if (where) {
    const m = where.trim().match(/^Type\s*==\s*"(ACCREC|ACCPAY)"$/);
    if (!m?.[1]) {
      return c.json(
        {
          ErrorNumber: 16,
          Type: "QueryParseException",
          Message: `The where clause "${where}" could not be parsed`,
        },
        400,
        g.headers,
      );
    }
    type = m[1];
  }
  const statuses = (c.req.query("Statuses") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const sinceMs = modifiedSince(c.req.header("if-modified-since"));
  const d = dataset("xero", g.account, "invoices");
  const all = d
    .list({ sinceMs, includeDeleted: true })
    .map((e) => render("invoices", itemOf(e)))
    .filter((r) => (!type || r.Type === type) && (!statuses.length || statuses.includes(String(r.Status))));
  const { rows, pagination } = paged(c, all);
  return c.json(envelope("Invoices", rows, pagination), 200, g.headers);
});

const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
const text = (v: unknown) => typeof v === "string" && v.trim() !== "";

/** Xero's messages for what it refuses in a record to save (merged with the stored one on update). */
function errors(entity: Entity, account: string, o: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (entity === "customers") {
    if (!text(o.Name)) out.push("The contact name must be specified.");
    else if (String(o.Name).length > 255) out.push("The contact name must not exceed 255 characters.");
  } else if (entity === "products") {
    if (!text(o.Code)) out.push("Item Code must not be empty.");
    else if (String(o.Code).length > 30) out.push("Item Code must not be more than 30 characters long.");
    if (o.Name !== undefined && String(o.Name).length > 50)
      out.push("Item Name must not be more than 50 characters long.");
  } else {
    if (o.Type !== "ACCREC" && o.Type !== "ACCPAY") out.push("Invoice Type must be specified.");
    const contact = obj(o.Contact);
    const n = indexOf("customers", contact?.ContactID);
    const found = n !== null && dataset("xero", account, "customers").get(n);
    if (!contact || (!text(contact.ContactID) && !text(contact.Name)))
      out.push("A Contact must be specified for this type of transaction");
    else if (text(contact.ContactID) && !found) out.push("The Contact could not be found.");
    const lines = Array.isArray(o.LineItems) ? o.LineItems : [];
    if (lines.some((l) => !text(obj(l)?.Description) && !text(obj(l)?.ItemCode)))
      out.push("Description is required when no Item is specified.");
    if (o.Status === "AUTHORISED" && !lines.length) out.push("At least one line item must be specified.");
  }
  return out;
}

const toXeroDate = (v: unknown): Record<string, unknown> | null => {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}/.test(v)) return null;
  const d = v.slice(0, 10);
  return { date: xeroDate(dayMs(d)), string: `${d}T00:00:00` };
};

/** Fills in what Xero computes on save: invoice amounts, dates in its JSON form, the contact name. */
function computed(entity: Entity, account: string, o: Record<string, unknown>): Record<string, unknown> {
  if (entity === "customers") return { IsCustomer: true, IsSupplier: false, ...o };
  if (entity === "products") return { IsSold: true, IsPurchased: false, IsTrackedAsInventory: false, ...o };
  const lines = (Array.isArray(o.LineItems) ? o.LineItems : []).map((l, i) => {
    const line = obj(l) ?? {};
    const q = Number(line.Quantity ?? 1);
    const u = Number(line.UnitAmount ?? 0);
    return {
      LineItemID: `11e11e11-0000-4000-8000-${String(900_000_000 + i).padStart(12, "0")}`,
      TaxAmount: 0,
      ...line,
      Quantity: q,
      UnitAmount: u,
      LineAmount: round2(q * u),
    };
  });
  const total = round2(lines.reduce((s, l) => s + l.LineAmount, 0));
  const contact = obj(o.Contact) ?? {};
  const n = indexOf("customers", contact.ContactID);
  const stored = n === null ? undefined : dataset("xero", account, "customers").get(n);
  const date = toXeroDate(o.Date);
  const due = toXeroDate(o.DueDate);
  const status = text(o.Status) ? o.Status : "DRAFT";
  return {
    LineAmountTypes: "Exclusive",
    CurrencyCode: "USD",
    CurrencyRate: 1,
    ...o,
    Contact: stored ? { ...contact, Name: render("customers", itemOf(stored)).Name } : contact,
    Status: status,
    ...(date ? { Date: date.date, DateString: date.string } : {}),
    ...(due ? { DueDate: due.date, DueDateString: due.string } : {}),
    LineItems: lines,
    SubTotal: total,
    TotalTax: 0,
    Total: total,
    AmountDue: status === "PAID" || status === "VOIDED" ? 0 : total,
    AmountPaid: status === "PAID" ? total : 0,
  };
}

const COLLECTIONS: [string, Entity][] = [
  ["Contacts", "customers"],
  ["Items", "products"],
  ["Invoices", "invoices"],
];

for (const [collection, entity] of COLLECTIONS) {
  const save = (creating: boolean) => async (c: Context) => {
    const g = gate(c);
    if (g instanceof Response) return g;
    const sent = obj(await c.req.json().catch(() => null));
    const records = sent && Array.isArray(sent[collection]) ? (sent[collection] as unknown[]) : null;
    if (!records?.length) {
      return c.json(
        {
          ErrorNumber: 14,
          Type: "PostDataInvalidException",
          Message: `The ${collection} collection is missing or empty`,
        },
        400,
        g.headers,
      );
    }
    const d = dataset("xero", g.account, entity);
    const idField = ID_FIELD[entity];
    // Validate every element first: one refusal saves nothing (summarizeErrors, the default).
    const plans = records.map((r) => {
      const { [idField]: id, UpdatedDateUTC: _u, ContactStatus: _s, ...fields } = obj(r) ?? {};
      const n = id === undefined || creating ? null : indexOf(entity, id);
      const entry = n === null ? undefined : d.get(n);
      if (id !== undefined && !creating && (!entry || (entry.deleted && entity !== "customers"))) {
        return {
          fields,
          entry,
          errors: [`The ${collection.slice(0, -1)} with ID ${String(id)} could not be found.`],
        };
      }
      let merged = fields;
      if (entry) {
        const { [idField]: _id, UpdatedDateUTC: _d, ...current } = render(entity, itemOf(entry));
        merged = { ...current, ...fields };
      }
      return { fields: merged, entry, errors: errors(entity, g.account, merged) };
    });
    if (plans.some((p) => p.errors.length)) {
      return c.json(
        {
          ErrorNumber: 10,
          Type: "ValidationException",
          Message: "A validation exception occurred",
          Elements: plans.map((p) => ({
            ...p.fields,
            ValidationErrors: p.errors.map((Message) => ({ Message })),
          })),
        },
        400,
        g.headers,
      );
    }
    const saved = plans.map((p) => {
      const body = computed(entity, g.account, p.fields);
      if (p.entry) {
        d.update(p.entry.n, body);
        return render(entity, itemOf(p.entry));
      }
      const [n] = d.create(1, Date.now(), body);
      const e = n === undefined ? undefined : d.get(n);
      return e ? render(entity, itemOf(e)) : body;
    });
    return c.json(envelope(collection, saved), 200, g.headers);
  };
  // POST creates or (with the record's id) updates; PUT only creates.
  xero.post(`/api.xro/2.0/${collection}`, save(false));
  xero.put(`/api.xro/2.0/${collection}`, save(true));
}

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
