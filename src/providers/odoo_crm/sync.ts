/**
 * Odoo record sync (providers.md §17) over JSON-RPC `object.execute_kw(..., "search_read")`:
 * customers (res.partner with customer_rank > 0), products (product.product) and invoices
 * (account.move, out_invoice/out_refund; totals only, lines stay empty). Pages are ordered by
 * `write_date asc, id asc`. Each page starts at the second of the last row seen
 * (`write_date >= w`) with an offset of the rows already seen in that second, so a record
 * changed mid-run (it moves to the end) shifts at most the rows of one second, not every
 * later offset. `write_date` reads back in whole seconds while Odoo compares it with its
 * stored microseconds, which is why the window is a second wide. Incremental runs add
 * `write_date > since`. Odoo keeps no tombstones: deletions are found by sweeping.
 */
import { type ProviderContext, ProviderError, secret, setting } from "../runtime.ts";
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
import { rpc } from "./client.ts";

type Row = Record<string, unknown>;
type Domain = unknown[];

interface ModelSpec {
  model: string;
  domain: Domain;
  fields: string[];
  map(row: Row): RecordData;
}

const PAGE_DEFAULT = 200;
const PAGE_MAX = 1000;

/** Odoo answers `false` for an empty field. */
const val = (v: unknown): unknown => (v === false ? null : v);
const text = (v: unknown) => str(val(v));
/** The display name of a many2one (`[id, "name"]`). */
const m2oName = (v: unknown) => (Array.isArray(v) ? text(v[1]) : null);
const m2oId = (v: unknown) => (Array.isArray(v) ? text(v[0]) : null);

const partner = (row: Row): CustomerData => {
  const country = text(row.country_code);
  const a = {
    line1: text(row.street),
    line2: text(row.street2),
    city: text(row.city),
    // Recent versions name states "Texas (US)".
    region: m2oName(row.state_id)?.replace(/\s*\([A-Z]{2}\)$/, "") ?? null,
    postal_code: text(row.zip),
    country,
  };
  const name = text(row.name) ?? text(row.display_name);
  return {
    name: name ?? email(val(row.email)) ?? `Partner ${String(row.id)}`,
    email: email(val(row.email)),
    phone: text(row.phone) ?? text(row.mobile),
    company: row.is_company === true ? name : (m2oName(row.parent_id) ?? text(row.commercial_company_name)),
    address: Object.values(a).some((v) => v !== null) ? a : null,
  };
};

const currency = (v: unknown) => {
  const code = m2oName(v);
  return code && /^[A-Za-z]{3}$/.test(code) ? code : null;
};

const product = (row: Row): ProductData => ({
  sku: text(row.default_code),
  name: text(row.name) ?? text(row.default_code) ?? `Product ${String(row.id)}`,
  description: text(row.description_sale)?.slice(0, 4000) ?? null,
  price: amount(val(row.list_price)),
  currency: currency(row.currency_id),
});

/** `state` and `payment_state` as one status. */
function invoiceStatus(row: Row): InvoiceData["status"] {
  if (row.state === "draft") return "draft";
  if (row.state === "cancel") return "void";
  if (row.state !== "posted") return null;
  return ["paid", "in_payment", "reversed"].includes(String(row.payment_state)) ? "paid" : "open";
}

const invoice = (row: Row): InvoiceData => {
  const total = amount(val(row.amount_total));
  const number = text(row.name);
  return {
    // Drafts are numbered "/" until posted.
    number: number && number !== "/" ? number : null,
    customer_external_id: m2oId(row.partner_id),
    issue_date: day(val(row.invoice_date)),
    due_date: day(val(row.invoice_date_due)),
    currency: currency(row.currency_id),
    // A credit note's amount_total is positive; it is money going back.
    total: total !== null && row.move_type === "out_refund" ? -total : total,
    status: invoiceStatus(row),
    lines: [],
  };
};

const SPECS: Record<string, ModelSpec> = {
  customers: {
    model: "res.partner",
    domain: [["customer_rank", ">", 0]],
    fields: [
      "name",
      "display_name",
      "email",
      "phone",
      "mobile",
      "is_company",
      "parent_id",
      "commercial_company_name",
      "street",
      "street2",
      "city",
      "state_id",
      "zip",
      "country_code",
      "active",
      "write_date",
    ],
    map: partner,
  },
  products: {
    model: "product.product",
    domain: [],
    fields: ["name", "default_code", "description_sale", "list_price", "currency_id", "active", "write_date"],
    map: product,
  },
  invoices: {
    model: "account.move",
    domain: [["move_type", "in", ["out_invoice", "out_refund"]]],
    fields: [
      "name",
      "move_type",
      "partner_id",
      "invoice_date",
      "invoice_date_due",
      "currency_id",
      "amount_total",
      "state",
      "payment_state",
      "write_date",
    ],
    map: invoice,
  },
};

const entities: Record<string, SyncEntity> = {
  customers: { kind: "customer", aliases: ["partners"], incremental: true, deletions: "sweep" },
  products: { kind: "product", incremental: true, deletions: "sweep" },
  invoices: { kind: "invoice", incremental: true, deletions: "sweep" },
};

function specOf(entity: string): ModelSpec {
  const spec = SPECS[entity === "partners" ? "customers" : entity];
  if (!spec) throw new ProviderError("permanent", `Odoo cannot sync ${entity}`);
  return spec;
}

/** The user id, cached; the second the last page ended in and how many rows of it were read. */
interface Cursor {
  uid: number;
  w?: string;
  k?: number;
}

function readCursor(raw: string): Cursor {
  try {
    const c = JSON.parse(raw) as Cursor;
    if (c && typeof c.uid === "number") return c;
  } catch {
    // falls through to the error below
  }
  throw new ProviderError("permanent", "Odoo: the sync cursor is not one this provider wrote");
}

/** Odoo's UTC datetime format, whole seconds rounded down (`write_date` has no fractions). */
export function odooDateTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new ProviderError("permanent", `Odoo: since is not a date: ${iso}`);
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** `2026-01-01 00:00:01` (UTC) as ISO 8601. */
const writeDate = (v: unknown) => (typeof v === "string" ? isoFrom(`${v.replace(" ", "T")}Z`) : null);

/** `common.authenticate`: the user id, or an auth error. */
async function authenticate(ctx: ProviderContext, db: string): Promise<number> {
  const login = setting(ctx, "username");
  const uid = await rpc(ctx, "common", "authenticate", [db, login, secret(ctx, "api_key"), {}]);
  if (typeof uid !== "number") {
    throw new ProviderError("auth", `Odoo: wrong login or API key for database "${db}"`);
  }
  return uid;
}

/** The page's domain: the entity's own, `write_date > since`, and from the last page's second. */
export function pageDomain(base: Domain, since: string | null, from: string | undefined): Domain {
  const domain: Domain = [...base];
  if (since) domain.push(["write_date", ">", odooDateTime(since)]);
  if (from) domain.push(["write_date", ">=", from]);
  return domain;
}

async function page(ctx: ProviderContext, req: SyncPageRequest): Promise<SyncPage> {
  const spec = specOf(req.entity);
  const db = setting(ctx, "database");
  const at: Cursor = req.cursor ? readCursor(req.cursor) : { uid: await authenticate(ctx, db) };
  const limit = Math.max(1, Math.min(req.pageSize ?? PAGE_DEFAULT, PAGE_MAX));
  const rows = await rpc(ctx, "object", "execute_kw", [
    db,
    at.uid,
    secret(ctx, "api_key"),
    spec.model,
    "search_read",
    [pageDomain(spec.domain, req.since, at.w)],
    {
      fields: spec.fields,
      order: "write_date asc, id asc",
      limit,
      offset: at.k ?? 0,
      // Archived records are records too.
      context: { active_test: false },
    },
  ]);
  if (!Array.isArray(rows)) throw new ProviderError("permanent", "Odoo: search_read did not answer a list");
  const items: SyncItem[] = [];
  for (const row of rows as Row[]) {
    if (typeof row?.id !== "number") continue;
    items.push({
      externalId: String(row.id),
      data: spec.map(row),
      raw: row,
      modifiedAt: writeDate(row.write_date),
    });
  }
  if (rows.length < limit) return { items, next: null };
  const last = (rows as Row[])[rows.length - 1]?.write_date;
  if (typeof last !== "string")
    throw new ProviderError("permanent", "Odoo: search_read rows have no write_date");
  const inLast = (rows as Row[]).filter((r) => r.write_date === last).length;
  // A page wholly inside the previous page's second reads on from further into it.
  const k = last === at.w && inLast === rows.length ? (at.k ?? 0) + inLast : inLast;
  return { items, next: JSON.stringify({ uid: at.uid, w: last, k } satisfies Cursor) };
}

/** Odoo's sync declaration. */
export const sync: ProviderSync = { entities, page };
