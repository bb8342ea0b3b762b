/**
 * HubSpot record sync (providers.md §15): contacts, companies, products and invoices from the
 * CRM v3 object APIs. A full run lists live objects (`GET /crm/v3/objects/{obj}`, 100 a page),
 * an incremental run searches by last-modified time (`POST /crm/v3/objects/{obj}/search`, 200
 * a page, sliding the time window forward before the 10,000-result cap); both then list the
 * archived objects (`archived=true`) as tombstones.
 */
import { bearerHeader } from "../other/bearer.ts";
import { field, type ProviderContext, ProviderError, request } from "../runtime.ts";
import {
  amount,
  type CustomerData,
  day,
  email,
  type InvoiceData,
  isoFrom,
  type ProductData,
  type ProviderSync,
  type RecordData,
  type SyncEntity,
  type SyncItem,
  type SyncPage,
  type SyncPageRequest,
  str,
} from "../sync.ts";
import { failure } from "./client.ts";

/** How one entity is read: its CRM object, properties, modified-time property and mapper. */
interface ObjectSpec {
  object: string;
  properties: string[];
  /** Contacts keep theirs in `lastmodifieddate`, every other object in `hs_lastmodifieddate`. */
  modified: string;
  /** Associations the list call asks for (the search API returns none). */
  associations?: string;
  map(props: Record<string, unknown>, item: unknown): RecordData;
}

const LIST_MAX = 100;
const SEARCH_MAX = 200;
/** The search API answers at most this many results per query (after + limit). */
const SEARCH_CAP = 10_000;

const address = (p: Record<string, unknown>, line2?: unknown) => {
  const a = {
    line1: str(p.address),
    line2: str(line2),
    city: str(p.city),
    region: str(p.state),
    postal_code: str(p.zip),
    country: str(p.country),
  };
  return Object.values(a).some((v) => v !== null) ? a : null;
};

const contact = (p: Record<string, unknown>): CustomerData => {
  const name = [str(p.firstname), str(p.lastname)].filter(Boolean).join(" ");
  return {
    name: name || email(p.email) || `Contact ${String(p.hs_object_id ?? "")}`.trim(),
    email: email(p.email),
    phone: str(p.phone) ?? str(p.mobilephone),
    company: str(p.company),
    address: address(p),
  };
};

const company = (p: Record<string, unknown>): CustomerData => ({
  name: str(p.name) ?? str(p.domain) ?? `Company ${String(p.hs_object_id ?? "")}`.trim(),
  email: null,
  phone: str(p.phone),
  company: str(p.name),
  address: address(p, p.address2),
});

const product = (p: Record<string, unknown>): ProductData => ({
  sku: str(p.hs_sku),
  name: str(p.name) ?? str(p.hs_sku) ?? `Product ${String(p.hs_object_id ?? "")}`.trim(),
  description: str(p.description)?.slice(0, 4000) ?? null,
  price: amount(p.price),
  // Single-currency accounts keep product prices in the account currency, which the object does not name.
  currency: null,
});

/** `hs_invoice_status` values: draft, open, paid, voided. */
const INVOICE_STATUS: Record<string, InvoiceData["status"]> = {
  draft: "draft",
  open: "open",
  paid: "paid",
  voided: "void",
};

const invoice = (p: Record<string, unknown>, item: unknown): InvoiceData => {
  const contacts = field(item, "associations", "contacts", "results");
  const first = Array.isArray(contacts) ? str(field(contacts[0], "id")) : null;
  const currency = str(p.hs_currency);
  return {
    number: str(p.hs_number),
    // Only the list call carries associations; search results leave the customer out.
    ...(field(item, "associations") !== undefined ? { customer_external_id: first } : {}),
    issue_date: day(p.hs_invoice_date),
    due_date: day(p.hs_due_date),
    currency: currency && currency.length === 3 ? currency : null,
    total: amount(p.hs_amount_billed),
    status: INVOICE_STATUS[String(p.hs_invoice_status ?? "").toLowerCase()] ?? null,
    lines: [],
  };
};

const SPECS: Record<string, ObjectSpec> = {
  contacts: {
    object: "contacts",
    modified: "lastmodifieddate",
    properties: [
      "firstname",
      "lastname",
      "email",
      "phone",
      "mobilephone",
      "company",
      "address",
      "city",
      "state",
      "zip",
      "country",
      "lastmodifieddate",
    ],
    map: contact,
  },
  companies: {
    object: "companies",
    modified: "hs_lastmodifieddate",
    properties: [
      "name",
      "domain",
      "phone",
      "address",
      "address2",
      "city",
      "state",
      "zip",
      "country",
      "hs_lastmodifieddate",
    ],
    map: company,
  },
  products: {
    object: "products",
    modified: "hs_lastmodifieddate",
    properties: ["name", "hs_sku", "description", "price", "hs_lastmodifieddate"],
    map: product,
  },
  invoices: {
    object: "invoices",
    modified: "hs_lastmodifieddate",
    associations: "contacts",
    properties: [
      "hs_number",
      "hs_invoice_status",
      "hs_currency",
      "hs_amount_billed",
      "hs_invoice_date",
      "hs_due_date",
      "hs_lastmodifieddate",
    ],
    map: invoice,
  },
};

const entities: Record<string, SyncEntity> = {
  contacts: { kind: "customer", aliases: ["customers"], incremental: true, deletions: "tombstones" },
  companies: { kind: "customer", incremental: true, deletions: "tombstones" },
  products: { kind: "product", incremental: true, deletions: "tombstones" },
  invoices: { kind: "invoice", incremental: true, deletions: "tombstones" },
};

/** Where a run is: listing live objects, searching modified ones, or listing archived ones. */
type Cursor =
  | { p: "live"; after?: string }
  | { p: "search"; from: number; after?: string }
  | { p: "archived"; after?: string };

function readCursor(raw: string | null, since: string | null): Cursor {
  if (!raw) {
    if (!since) return { p: "live" };
    const from = Date.parse(since);
    if (!Number.isFinite(from))
      throw new ProviderError("permanent", `HubSpot: since is not a date: ${since}`);
    return { p: "search", from };
  }
  try {
    const c = JSON.parse(raw) as Cursor;
    if (c && (c.p === "live" || c.p === "search" || c.p === "archived")) return c;
  } catch {
    // falls through to the error below
  }
  throw new ProviderError("permanent", "HubSpot: the sync cursor is not one this provider wrote");
}

const cursor = (c: Cursor) => JSON.stringify(c);

function specOf(entity: string): ObjectSpec {
  const spec = SPECS[entity] ?? SPECS[entity === "customers" ? "contacts" : ""];
  if (!spec) throw new ProviderError("permanent", `HubSpot cannot sync ${entity}`);
  return spec;
}

const props = (item: unknown): Record<string, unknown> => {
  const p = field(item, "properties");
  return p && typeof p === "object" ? (p as Record<string, unknown>) : {};
};

function mapItem(spec: ObjectSpec, item: unknown): SyncItem | null {
  const id = str(field(item, "id"));
  if (!id) return null;
  const p = props(item);
  return {
    externalId: id,
    data: spec.map({ hs_object_id: id, ...p }, item),
    raw: item,
    modifiedAt: isoFrom(field(item, "updatedAt")) ?? isoFrom(p[spec.modified]),
  };
}

const results = (data: unknown): unknown[] => {
  const r = field(data, "results");
  return Array.isArray(r) ? r : [];
};

const nextAfter = (data: unknown): string | undefined =>
  str(field(data, "paging", "next", "after")) ?? undefined;

/** One `GET /crm/v3/objects/{obj}` page, live or archived. */
async function list(
  ctx: ProviderContext,
  spec: ObjectSpec,
  archived: boolean,
  after: string | undefined,
  size: number,
) {
  const res = await request(ctx, {
    path: `/crm/v3/objects/${spec.object}`,
    query: {
      limit: String(size),
      after,
      properties: spec.properties.join(","),
      associations: archived ? undefined : spec.associations,
      archived: String(archived),
    },
    headers: bearerHeader(ctx, "private_app_token", "access_token"),
  });
  if (res.status !== 200) throw failure(res);
  return res.data;
}

async function search(ctx: ProviderContext, spec: ObjectSpec, from: number, after: string | undefined) {
  const res = await request(ctx, {
    method: "POST",
    path: `/crm/v3/objects/${spec.object}/search`,
    json: {
      filterGroups: [{ filters: [{ propertyName: spec.modified, operator: "GTE", value: String(from) }] }],
      sorts: [{ propertyName: spec.modified, direction: "ASCENDING" }],
      properties: spec.properties,
      limit: SEARCH_MAX,
      ...(after ? { after } : {}),
    },
    headers: bearerHeader(ctx, "private_app_token", "access_token"),
  });
  if (res.status !== 200) throw failure(res);
  return res.data;
}

async function page(ctx: ProviderContext, req: SyncPageRequest): Promise<SyncPage> {
  const spec = specOf(req.entity);
  const size = Math.max(1, Math.min(req.pageSize ?? LIST_MAX, LIST_MAX));
  const at = readCursor(req.cursor, req.since);

  if (at.p === "archived") {
    const data = await list(ctx, spec, true, at.after, size);
    const sinceMs = req.since ? Date.parse(req.since) : null;
    const deleted = results(data).flatMap((item) => {
      const id = str(field(item, "id"));
      if (!id) return [];
      if (sinceMs === null) return [id];
      // An incremental run reports only what was archived since the last one.
      const archivedAt = Date.parse(String(field(item, "archivedAt") ?? ""));
      return !Number.isFinite(archivedAt) || archivedAt >= sinceMs ? [id] : [];
    });
    const after = nextAfter(data);
    return { items: [], deleted, next: after ? cursor({ p: "archived", after }) : null };
  }

  if (at.p === "live") {
    const data = await list(ctx, spec, false, at.after, size);
    const items = results(data).flatMap((item) => mapItem(spec, item) ?? []);
    const after = nextAfter(data);
    return { items, next: cursor(after ? { p: "live", after } : { p: "archived" }) };
  }

  const data = await search(ctx, spec, at.from, at.after);
  const items = results(data).flatMap((item) => mapItem(spec, item) ?? []);
  const after = nextAfter(data);
  if (!after) return { items, next: cursor({ p: "archived" }) };
  if (Number(after) + SEARCH_MAX <= SEARCH_CAP) return { items, next: cursor({ ...at, after }) };
  // The next page would pass the 10,000-result cap: search again from the last modified time
  // seen (GTE, so records sharing that instant come again rather than being skipped).
  const last = items.reduce((max, i) => Math.max(max, Date.parse(i.modifiedAt ?? "") || 0), 0);
  return { items, next: cursor({ p: "search", from: last > at.from ? last : at.from + 1 }) };
}

/** HubSpot's sync declaration. */
export const sync: ProviderSync = { entities, page };
