/**
 * Simulated HubSpot API: the account details call (`GET /account-info/v3/details`) with a
 * Bearer token (private-app or OAuth), and HubSpot's `{status:"error", category}` auth errors;
 * the CRM object list (`GET /crm/v3/objects/{obj}`, 100 a page, `archived=true` for archived
 * objects) and search (`POST /crm/v3/objects/{obj}/search`, 200 a page, 10,000 results at
 * most, 5 calls a second) over the sandbox dataset, with the 100-per-10-s rolling limit.
 */
import { countRequest, type Dataset, type DatasetItem, dataset, itemOf, takeFault } from "../dataset.ts";
import { simulator } from "../lib.ts";
import { revokeToken } from "../oauth/state.ts";
import type { SimulatedOAuth } from "../oauth/types.ts";
import { bearerToken, validBearer } from "./other.ts";

export const hubspot = simulator();

const authError = (category: string, message: string) =>
  Response.json(
    { status: "error", message, correlationId: crypto.randomUUID(), category },
    { status: 401, headers: { "x-hubspot-auth-failure": "401 Unauthorized" } },
  );

const NOT_FOUND =
  "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview";

hubspot.get("/account-info/v3/details", (c) => {
  const header = c.req.header("authorization");
  if (/expired/i.test(bearerToken(header) ?? "")) {
    return authError(
      "EXPIRED_AUTHENTICATION",
      "The OAuth token used to make this call expired 2 hour(s) ago.",
    );
  }
  if (!validBearer(header)) return authError("INVALID_AUTHENTICATION", NOT_FOUND);
  return c.json({
    portalId: 24681357,
    accountType: "STANDARD",
    timeZone: "US/Eastern",
    companyCurrency: "USD",
    additionalCurrencies: [],
    utcOffset: "-05:00",
    utcOffsetMilliseconds: -18000000,
    uiDomain: "app.hubspot.com",
    dataHostingLocation: "na1",
  });
});

// ---------------------------------------------------------------------------------------------
// CRM objects: list (live or archived), search by last-modified time. The dataset account is
// the Bearer token itself (see `hubspotAccount`).

/** The dataset account of a request: its Bearer token. */
export const hubspotAccount = (token: string): string => token;

const OBJECTS = ["contacts", "companies", "products", "invoices"] as const;
type CrmObject = (typeof OBJECTS)[number];
const isObject = (v: string): v is CrmObject => (OBJECTS as readonly string[]).includes(v);

/** The property holding the last-modified time (contacts differ from every other object). */
const modifiedProperty = (object: CrmObject) =>
  object === "contacts" ? "lastmodifieddate" : "hs_lastmodifieddate";

const hsError = (status: number, category: string, message: string, extra: Record<string, unknown> = {}) =>
  Response.json(
    { status: "error", message, correlationId: crypto.randomUUID(), category, ...extra },
    { status },
  );

/** HubSpot's rolling-window 429: no Retry-After, the policy in the body, the window in headers. */
const rateLimited = (policyName: string, message: string, headers: Record<string, string> = {}) =>
  Response.json(
    {
      status: "error",
      message,
      errorType: "RATE_LIMIT",
      correlationId: crypto.randomUUID(),
      policyName,
      groupName: "publicapi:private-app:ten-secondly",
    },
    { status: 429, headers },
  );

/** An armed fault as HubSpot answers its status. */
function faultResponse(fault: { status: number; retryAfter: number }): Response {
  if (fault.status === 429) {
    return rateLimited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", {
      "retry-after": String(fault.retryAfter),
    });
  }
  if (fault.status === 401) return authError("INVALID_AUTHENTICATION", NOT_FOUND);
  if (fault.status === 403) {
    return hsError(
      403,
      "MISSING_SCOPES",
      "This app hasn't been granted all required scopes to make this call.",
    );
  }
  if (fault.status >= 500) return hsError(fault.status, "INTERNAL_ERROR", "internal error");
  return hsError(fault.status, "VALIDATION_ERROR", "Invalid input");
}

/** Checks the token and the rate limit; answers the refusal, or gives the account. */
function gate(header: string | undefined): Response | string {
  const fault = takeFault("hubspot");
  if (fault) return faultResponse(fault);
  if (/expired/i.test(bearerToken(header) ?? "")) {
    return authError(
      "EXPIRED_AUTHENTICATION",
      "The OAuth token used to make this call expired 2 hour(s) ago.",
    );
  }
  const token = validBearer(header);
  if (!token) return authError("INVALID_AUTHENTICATION", NOT_FOUND);
  const account = hubspotAccount(token);
  if (countRequest("hubspot", account, 100, 10_000)) {
    return rateLimited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", {
      "x-hubspot-ratelimit-interval-milliseconds": "10000",
      "x-hubspot-ratelimit-max": "100",
      "x-hubspot-ratelimit-remaining": "0",
    });
  }
  return account;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Every property an object has in the simulator, as HubSpot's strings (or null). */
function allProperties(object: CrmObject, item: DatasetItem): Record<string, string | null> {
  const f = item.fields;
  const common = { hs_object_id: String(item.n), createdate: iso(item.createdAt) };
  const modified = { [modifiedProperty(object)]: iso(item.modifiedAt) };
  const place = { address: f.street, city: f.city, state: f.region, zip: f.postalCode, country: f.country };
  switch (object) {
    case "contacts":
      return {
        ...common,
        firstname: f.firstName,
        lastname: f.lastName,
        email: f.email,
        phone: f.phone,
        mobilephone: null,
        company: f.company,
        ...place,
        ...modified,
      };
    case "companies":
      return {
        ...common,
        name: f.company,
        domain: `${f.company.split(" ")[0]?.toLowerCase() ?? "acme"}-${f.n}.example.com`,
        phone: f.phone,
        ...place,
        address2: null,
        ...modified,
      };
    case "products":
      return {
        ...common,
        name: f.lines[0]?.description ?? f.sku,
        hs_sku: f.sku,
        description: `Sandbox product ${f.sku}`,
        price: String(f.price),
        ...modified,
      };
    case "invoices":
      return {
        ...common,
        hs_number: `INV-${String(f.n).padStart(5, "0")}`,
        hs_invoice_status: f.status === "void" ? "voided" : f.status,
        hs_currency: f.currency,
        hs_amount_billed: String(f.total),
        hs_invoice_date: `${f.issueDate}T00:00:00Z`,
        hs_due_date: `${f.dueDate}T00:00:00Z`,
        ...modified,
      };
  }
}

/** The requested properties (HubSpot adds createdate, hs_object_id and the modified time). */
function crmObject(object: CrmObject, entry: DatasetEntry, requested: string[], associations: string[]) {
  const item = itemOf(entry);
  const all = allProperties(object, item);
  const names = new Set(["createdate", "hs_object_id", modifiedProperty(object), ...requested]);
  const properties = Object.fromEntries([...names].map((k) => [k, all[k] ?? null]));
  return {
    id: String(item.n),
    properties,
    createdAt: iso(item.createdAt),
    updatedAt: iso(item.modifiedAt),
    archived: item.deleted,
    ...(item.deleted ? { archivedAt: iso(item.modifiedAt) } : {}),
    ...(object === "invoices" && associations.includes("contacts")
      ? {
          associations: {
            contacts: { results: [{ id: String(item.fields.customerN), type: "invoice_to_contact" }] },
          },
        }
      : {}),
  };
}

type DatasetEntry = ReturnType<Dataset["list"]>[number];

hubspot.get("/crm/v3/objects/:object", (c) => {
  const object = c.req.param("object");
  const gated = gate(c.req.header("authorization"));
  if (typeof gated !== "string") return gated;
  if (!isObject(object))
    return hsError(400, "VALIDATION_ERROR", `Unable to infer object type from: ${object}`);
  const limit = Number(c.req.query("limit") ?? "10");
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    return hsError(400, "VALIDATION_ERROR", "limit must be between 1 and 100");
  }
  const archived = c.req.query("archived") === "true";
  const after = Number(c.req.query("after") ?? "0") || 0;
  const split = (v: string | undefined) =>
    v
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
  const requested = split(c.req.query("properties"));
  const associations = split(c.req.query("associations"));
  const entries = dataset("hubspot", gated, object)
    .list({ includeDeleted: archived })
    .filter((e) => e.deleted === archived && e.n >= after);
  const page = entries.slice(0, limit);
  const next = entries[limit];
  const url = new URL(c.req.url);
  if (next) url.searchParams.set("after", String(next.n));
  return c.json({
    results: page.map((e) => crmObject(object, e, requested, associations)),
    ...(next ? { paging: { next: { after: String(next.n), link: url.toString() } } } : {}),
  });
});

/** Search calls per account in the last second (HubSpot's 5 requests/s Search limit). */
const searches = new Map<string, number[]>();

function searchLimited(account: string): boolean {
  const now = Date.now();
  const times = (searches.get(account) ?? []).filter((t) => t > now - 1000);
  const over = times.length >= 5;
  if (!over) times.push(now);
  searches.set(account, times);
  return over;
}

hubspot.post("/crm/v3/objects/:object/search", async (c) => {
  const object = c.req.param("object");
  const gated = gate(c.req.header("authorization"));
  if (typeof gated !== "string") return gated;
  if (searchLimited(gated)) return rateLimited("SECONDLY", "You have reached your secondly limit.");
  if (!isObject(object))
    return hsError(400, "VALIDATION_ERROR", `Unable to infer object type from: ${object}`);
  const body = (await c.req.json().catch(() => null)) as {
    filterGroups?: { filters?: { propertyName?: string; operator?: string; value?: string }[] }[];
    sorts?: { propertyName?: string; direction?: string }[];
    properties?: string[];
    limit?: number;
    after?: string | number;
  } | null;
  if (!body) return hsError(400, "VALIDATION_ERROR", "Invalid input JSON on line 1");
  const limit = body.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    return hsError(400, "VALIDATION_ERROR", "limit must be between 1 and 200");
  }
  const offset = Number(body.after ?? 0) || 0;
  if (offset + limit > 10_000) {
    return hsError(400, "VALIDATION_ERROR", "Search results are limited to 10,000; narrow the filters.");
  }
  const modified = modifiedProperty(object);
  let entries = dataset("hubspot", gated, object).list({ byModified: true });
  for (const f of body.filterGroups?.flatMap((g) => g.filters ?? []) ?? []) {
    if (f.propertyName !== modified) continue;
    const v = /^\d+$/.test(String(f.value)) ? Number(f.value) : Date.parse(String(f.value));
    if (f.operator === "GTE") entries = entries.filter((e) => e.modifiedAt >= v);
    else if (f.operator === "GT") entries = entries.filter((e) => e.modifiedAt > v);
    else if (f.operator === "LTE") entries = entries.filter((e) => e.modifiedAt <= v);
    else if (f.operator === "LT") entries = entries.filter((e) => e.modifiedAt < v);
  }
  const sort = body.sorts?.[0];
  if (sort?.propertyName === modified && sort.direction === "DESCENDING") entries = [...entries].reverse();
  const page = entries.slice(offset, offset + limit);
  const more = offset + limit < entries.length;
  return c.json({
    total: entries.length,
    results: page.map((e) => crmObject(object, e, body.properties ?? [], [])),
    ...(more ? { paging: { next: { after: String(offset + limit) } } } : {}),
  });
});

/**
 * HubSpot's authorization server: `GET /oauth/authorize`, `POST /oauth/v3/token` (client
 * credentials in the body; a refresh hands the same refresh token back, it never rotates),
 * `DELETE /oauth/v1/refresh-tokens/{token}`.
 */
export const hubspotOAuth: SimulatedOAuth = {
  id: "hubspot",
  name: "HubSpot",
  authorize: "/oauth/authorize",
  scopeSeparator: /[\s+]+/,
  accessTtl: 1800,
  refresh: "static",
  grace: 0,
  offline: () => true,
  token: { path: "/oauth/v3/token", clientAuth: "body", returnsRefreshToken: true, basicChallenge: false },
  routes(app) {
    app.delete("/oauth/v1/refresh-tokens/:token", (c) =>
      revokeToken(c.req.param("token"))
        ? c.body(null, 204)
        : c.json({ status: "error", message: "refresh token not found", category: "OBJECT_NOT_FOUND" }, 404),
    );
  },
};
