/**
 * Simulated Salesforce REST API at the instance URL: the versions list (`GET /services/data/`,
 * no auth), the org limits (`GET /services/data/vXX.X/limits`, Bearer access token) and SOQL
 * `query`/`queryAll` over the sandbox dataset, with Salesforce's `[{message, errorCode}]`
 * errors and the daily API allocation (403 REQUEST_LIMIT_EXCEEDED). Instances: the API answers at
 * the simulator's root and at `/i/{instance}` (the instance URL the token endpoint hands out,
 * which `POST /_sessions` can move, as when an org is migrated); a session that was expired on
 * request, or is used on another instance than its own, is refused with 401 INVALID_SESSION_ID
 * (salesforce/sessions.ts).
 */
import { countRequest, type Dataset, dataset, itemOf, takeFault } from "../dataset.ts";
import { simulator } from "../lib.ts";
import { validBearer } from "./other.ts";
import { sessionAccount, sessionControl, sessionRefused } from "./salesforce/sessions.ts";

export { clientAccount, salesforceOAuth } from "./salesforce/sessions.ts";

/** The REST API of one instance, served at the simulator's root and under `/i/{instance}`. */
const api = simulator();

const sfError = (status: number, errorCode: string, message: string) =>
  Response.json([{ message, errorCode }], { status });

const VERSIONS = [
  { label: "Winter '25", url: "/services/data/v62.0", version: "62.0" },
  { label: "Spring '25", url: "/services/data/v63.0", version: "63.0" },
  { label: "Summer '25", url: "/services/data/v64.0", version: "64.0" },
];

api.get("/services/data", (c) => c.json(VERSIONS));
api.get("/services/data/", (c) => c.json(VERSIONS));

api.get("/services/data/:version/limits", (c) => {
  const token = validBearer(c.req.header("authorization"));
  if (!token || sessionRefused(token, c.req.param("instance"))) {
    return sfError(401, "INVALID_SESSION_ID", "Session expired or invalid");
  }
  if (!/^v\d+\.\d$/.test(c.req.param("version"))) {
    return sfError(404, "NOT_FOUND", "The requested resource does not exist");
  }
  const limit = (max: number, used = 0) => ({ Max: max, Remaining: max - used });
  return c.json(
    {
      ConcurrentAsyncGetReportInstances: limit(200),
      DailyApiRequests: limit(15000, 2),
      DailyAsyncApexExecutions: limit(250000),
      DailyBulkV2QueryJobs: limit(10000),
      DataStorageMB: limit(5),
      FileStorageMB: limit(20),
    },
    200,
    { "sforce-limit-info": "api-usage=2/15000" },
  );
});

// ---------------------------------------------------------------------------------------------
// SOQL: `query` (live rows) and `queryAll` (deleted rows too, IsDeleted = true) over the sandbox
// dataset, in batches of `Sforce-Query-Options: batchSize` (200-2,000, default 2,000), continued
// through `nextRecordsUrl` query locators. The dataset account is the org id: the part of the
// access token before `!` (Salesforce session ids start with it), so a refreshed token keeps
// the same data.

/**
 * The dataset account of an access token: the org of a session the simulated token endpoint
 * issued (`clientAccount`), else the token's org id prefix (the whole token when it has none).
 */
export const salesforceAccount = (token: string): string =>
  sessionAccount(token) ?? (token.split("!")[0] || token);

/** Each sObject: its dataset entity, id prefix and fields. */
const SOBJECTS: Record<string, { entity: string; prefix: string; fields: string[] }> = {
  Account: {
    entity: "accounts",
    prefix: "001",
    fields: [
      "Name",
      "Phone",
      "BillingStreet",
      "BillingCity",
      "BillingState",
      "BillingPostalCode",
      "BillingCountry",
    ],
  },
  Contact: {
    entity: "contacts",
    prefix: "003",
    fields: [
      "Name",
      "FirstName",
      "LastName",
      "Email",
      "Phone",
      "MobilePhone",
      "AccountId",
      "Account.Name",
      "MailingStreet",
      "MailingCity",
      "MailingState",
      "MailingPostalCode",
      "MailingCountry",
    ],
  },
  Product2: { entity: "products", prefix: "01t", fields: ["Name", "ProductCode", "Description", "IsActive"] },
};
const COMMON_FIELDS = ["Id", "IsDeleted", "SystemModstamp", "LastModifiedDate", "CreatedDate"];

/** A Salesforce record id of sObject `prefix` for dataset item `n` (18 characters). */
export const salesforceId = (prefix: string, n: number) => `${prefix}5g00000${String(n).padStart(8, "0")}`;

/** Salesforce's datetime format: `2026-01-01T00:00:01.000+0000`. */
const sfTime = (ms: number) => new Date(ms).toISOString().replace("Z", "+0000");

interface Parsed {
  sobject: string;
  fields: string[];
  /** The PricebookEntries subquery, when asked. */
  pricebook: boolean;
  sinceMs: number | null;
  byModified: boolean;
}

const malformed = (message: string) => sfError(400, "MALFORMED_QUERY", message);

/** Parses the SOQL the sync sends (a field list, one sObject, an optional SystemModstamp filter). */
function parseSoql(soql: string): Parsed | Response {
  const subqueries: string[] = [];
  const flat = soql
    .trim()
    .replace(/\(([^()]*)\)/g, (_, inner: string) => `__sub${subqueries.push(inner) - 1}`);
  const m = flat.match(
    /^SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(.+?))?(?:\s+LIMIT\s+\d+)?$/i,
  );
  if (!m) return malformed(`unexpected token: '${soql.slice(0, 40)}'`);
  const [, list = "", sobject = "", where, order] = m;
  const spec = SOBJECTS[sobject];
  if (!spec) {
    return sfError(
      400,
      "INVALID_TYPE",
      `\n${soql.slice(0, 60)}\n^\nERROR at Row:1:Column:1\nsObject type '${sobject}' is not supported.`,
    );
  }
  const fields: string[] = [];
  let pricebook = false;
  for (const raw of list.split(",").map((f) => f.trim())) {
    const sub = raw.match(/^__sub(\d+)$/);
    if (sub) {
      const inner = subqueries[Number(sub[1])] ?? "";
      if (sobject !== "Product2" || !/\bFROM\s+PricebookEntries\b/i.test(inner)) {
        return sfError(400, "INVALID_TYPE", `Didn't understand relationship in field path: ${inner}`);
      }
      pricebook = true;
      continue;
    }
    if (!COMMON_FIELDS.includes(raw) && !spec.fields.includes(raw)) {
      return sfError(
        400,
        "INVALID_FIELD",
        `\n${soql.slice(0, 60)}\n^\nERROR at Row:1:Column:8\nNo such column '${raw}' on entity '${sobject}'.`,
      );
    }
    fields.push(raw);
  }
  let sinceMs: number | null = null;
  if (where) {
    const w = where.match(
      /^SystemModstamp\s*>\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?(?:Z|[+-]\d{2}:?\d{2}))$/i,
    );
    if (!w?.[1]) return malformed(`unsupported WHERE clause in the sandbox: ${where}`);
    sinceMs = Date.parse(w[1].replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  }
  const byModified = order ? /^SystemModstamp\b/i.test(order.trim()) : false;
  return { sobject, fields, pricebook, sinceMs, byModified };
}

/** A record with the asked fields, in the asked order, after `attributes`. */
function record(q: Parsed, entry: DatasetEntry, version: string): Record<string, unknown> {
  const spec = SOBJECTS[q.sobject];
  const item = itemOf(entry);
  const f = item.fields;
  const id = salesforceId(spec?.prefix ?? "000", item.n);
  const accountId = salesforceId("001", f.customerN);
  const url = (type: string, rid: string) => `/services/data/${version}/sobjects/${type}/${rid}`;
  const values: Record<string, unknown> = {
    Id: id,
    IsDeleted: item.deleted,
    SystemModstamp: sfTime(item.modifiedAt),
    LastModifiedDate: sfTime(item.modifiedAt),
    CreatedDate: sfTime(item.createdAt),
  };
  if (q.sobject === "Account") {
    Object.assign(values, {
      Name: f.company,
      Phone: f.phone,
      BillingStreet: f.street,
      BillingCity: f.city,
      BillingState: f.region,
      BillingPostalCode: f.postalCode,
      BillingCountry: f.country,
    });
  } else if (q.sobject === "Contact") {
    Object.assign(values, {
      Name: f.name,
      FirstName: f.firstName,
      LastName: f.lastName,
      Email: f.email,
      Phone: f.phone,
      MobilePhone: null,
      AccountId: accountId,
      "Account.Name": { attributes: { type: "Account", url: url("Account", accountId) }, Name: f.company },
      MailingStreet: f.street,
      MailingCity: f.city,
      MailingState: f.region,
      MailingPostalCode: f.postalCode,
      MailingCountry: f.country,
    });
  } else {
    Object.assign(values, {
      Name: f.lines[0]?.description ?? f.sku,
      ProductCode: f.sku,
      Description: `Sandbox product ${f.sku}`,
      IsActive: true,
    });
  }
  const out: Record<string, unknown> = { attributes: { type: q.sobject, url: url(q.sobject, id) } };
  for (const name of q.fields) {
    if (name === "Account.Name") out.Account = values[name];
    else out[name] = values[name] ?? null;
  }
  if (q.pricebook) {
    const entryId = salesforceId("01u", item.n);
    out.PricebookEntries = {
      totalSize: 1,
      done: true,
      records: [
        { attributes: { type: "PricebookEntry", url: url("PricebookEntry", entryId) }, UnitPrice: f.price },
      ],
    };
  }
  return out;
}

type DatasetEntry = ReturnType<Dataset["list"]>[number];

/** Open query cursors: the rows a query matched when it ran, read batch by batch. */
const locators = new Map<string, { account: string; q: Parsed; rows: DatasetEntry[] }>();
const LOCATORS_MAX = 500;

/** Checks faults, the token and the daily allocation; answers the refusal, or gives the account. */
function gate(header: string | undefined, instance: string | undefined): Response | string {
  const fault = takeFault("salesforce");
  if (fault) {
    if (fault.status === 429 || fault.status === 403) {
      return Response.json(
        [{ message: "TotalRequests Limit exceeded.", errorCode: "REQUEST_LIMIT_EXCEEDED" }],
        {
          status: fault.status,
          headers: { "retry-after": String(fault.retryAfter) },
        },
      );
    }
    if (fault.status === 401) return sfError(401, "INVALID_SESSION_ID", "Session expired or invalid");
    if (fault.status >= 500) {
      return fault.status === 503
        ? sfError(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
        : sfError(fault.status, "UNKNOWN_EXCEPTION", "An unexpected error occurred.");
    }
    return malformed("unexpected token");
  }
  const token = validBearer(header);
  if (!token || sessionRefused(token, instance))
    return sfError(401, "INVALID_SESSION_ID", "Session expired or invalid");
  const account = salesforceAccount(token);
  if (countRequest("salesforce", account, 15_000, 86_400_000)) {
    return sfError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.");
  }
  return account;
}

const batchSize = (header: string | undefined) => {
  const n = Number(header?.match(/batchSize=(\d+)/i)?.[1] ?? 2000);
  return Math.max(200, Math.min(Number.isFinite(n) ? n : 2000, 2000));
};

/** One batch from `offset`, with `nextRecordsUrl` while rows remain. */
function batch(locator: string, offset: number, size: number, resource: string, version: string) {
  const open = locators.get(locator);
  if (!open) return sfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
  const rows = open.rows.slice(offset, offset + size);
  const done = offset + size >= open.rows.length;
  if (done) locators.delete(locator);
  return Response.json({
    totalSize: open.rows.length,
    done,
    ...(done ? {} : { nextRecordsUrl: `/services/data/${version}/${resource}/${locator}-${offset + size}` }),
    records: rows.map((e) => record(open.q, e, version)),
  });
}

for (const resource of ["query", "queryAll"] as const) {
  api.get(`/services/data/:version/${resource}`, (c) => {
    const gated = gate(c.req.header("authorization"), c.req.param("instance"));
    if (typeof gated !== "string") return gated;
    const version = c.req.param("version");
    const soql = c.req.query("q");
    if (!soql) return malformed("A query string has to be specified");
    const q = parseSoql(soql);
    if (q instanceof Response) return q;
    const entity = SOBJECTS[q.sobject]?.entity ?? "";
    const rows = dataset("salesforce", gated, entity).list({
      sinceMs: q.sinceMs,
      includeDeleted: resource === "queryAll",
      byModified: q.byModified,
    });
    if (locators.size >= LOCATORS_MAX) {
      const oldest = locators.keys().next().value;
      if (oldest !== undefined) locators.delete(oldest);
    }
    const locator = `01g5g00000${crypto.randomUUID().replace(/-/g, "").slice(0, 8).toUpperCase()}`;
    locators.set(locator, { account: gated, q, rows: [...rows] });
    return batch(locator, 0, batchSize(c.req.header("sforce-query-options")), resource, version);
  });

  api.get(`/services/data/:version/${resource}/:next`, (c) => {
    const gated = gate(c.req.header("authorization"), c.req.param("instance"));
    if (typeof gated !== "string") return gated;
    const m = c.req.param("next").match(/^(01g\w+)-(\d+)$/);
    const open = m?.[1] ? locators.get(m[1]) : undefined;
    if (!m?.[1] || !open || open.account !== gated) {
      return sfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator");
    }
    const size = batchSize(c.req.header("sforce-query-options"));
    return batch(m[1], Number(m[2]), size, resource, c.req.param("version"));
  });
}

export const salesforce = simulator();
salesforce.route("/", sessionControl);
salesforce.route("/i/:instance", api);
salesforce.route("/", api);
