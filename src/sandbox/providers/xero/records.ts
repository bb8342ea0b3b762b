/**
 * Records: Contacts, Items and Invoices, listed and saved.
 *
 * The dataset account is the `xero-tenant-id` header (`xeroAccount`); entities are the hub's
 * names (customers, products, invoices) and record ids are UUIDs made from the item index
 * (`xeroId`). Every call counts against 60/min per tenant (429 with Retry-After and
 * `X-Rate-Limit-Problem: minute`) and 5,000/day (`day`); answers carry the X-*-Limit-Remaining
 * headers. Soft-deleted contacts are ARCHIVED (listed with `includeArchived=true`), soft-deleted
 * invoices are listed with Status DELETED, and soft-deleted items are gone (Xero deletes items
 * outright). Contacts and Invoices page with `page` and `pageSize` (default 100, at most 1000;
 * without `page`, everything); Items never page. These routes answer JSON only.
 */
import type { Context } from "hono";
import { dataset, itemOf } from "../../dataset.ts";
import { simulator } from "../../lib.ts";
import { computed, type Entity, errors, ID_FIELD, indexOf, obj, render, xeroDate } from "./entities.ts";
import { gate } from "./gate.ts";

/** The records routes, mounted on the Xero simulator. */
export const records = simulator();

/** `If-Modified-Since` as Xero takes it: `2009-11-12T00:00:00` (UTC) or an HTTP date. */
export function modifiedSince(value: string | undefined): number | null {
  if (!value) return null;
  const v = /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(value) ? `${value}Z` : value;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : null;
}

export const envelope = (collection: string, rows: unknown[], extra: Record<string, unknown> = {}) => ({
  Id: crypto.randomUUID(),
  Status: "OK",
  ProviderName: "Switchboard",
  DateTimeUTC: xeroDate(Date.now()),
  ...extra,
  [collection]: rows,
});

/** `page`/`pageSize` paging (pageSize at most 1000); without `page`, everything. */
export function paged(c: Context, rows: Record<string, unknown>[]) {
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

records.get("/api.xro/2.0/Contacts", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const sinceMs = modifiedSince(c.req.header("if-modified-since"));
  const archived = c.req.query("includeArchived")?.toLowerCase() === "true";
  const d = dataset("xero", g.account, "customers");
  const all = d.list({ sinceMs, includeDeleted: archived }).map((e) => render("customers", itemOf(e)));
  const { rows, pagination } = paged(c, all);
  return c.json(envelope("Contacts", rows, pagination), 200, g.headers);
});

records.get("/api.xro/2.0/Items", (c) => {
  const g = gate(c);
  if (g instanceof Response) return g;
  const sinceMs = modifiedSince(c.req.header("if-modified-since"));
  const d = dataset("xero", g.account, "products");
  const rows = d.list({ sinceMs }).map((e) => render("products", itemOf(e)));
  return c.json(envelope("Items", rows), 200, g.headers);
});

records.get("/api.xro/2.0/Invoices", (c) => {
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
  records.post(`/api.xro/2.0/${collection}`, save(false));
  records.put(`/api.xro/2.0/${collection}`, save(true));
}
