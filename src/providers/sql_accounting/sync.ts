/**
 * SQL Account record sync over the API Service: customers (`/customer`), stock items
 * (`/stockitem`) and sales invoices (`/salesinvoice`, or `/customerinvoice` for AR invoices),
 * each listed with `?offset=N` at most 50 records per GET, and created or updated with
 * POST / PUT. The object paths are configurable because the docs leave them unconfirmed.
 *
 * Incremental runs filter with the range `lastmodified=<since>~<far future>` (Unix seconds),
 * which needs SQL Account 5.2025.1061.890 or later and is UNCONFIRMED; `sync_modified_filter`
 * false turns it off (every run then scans everything). No deletion feed exists, so deletions
 * are found by the engine's sweep of full runs.
 *
 * The list answer carries invoice headers only; lines would take one extra GET per invoice
 * (50 per page against a slow on-premise server), so listed invoices map with no lines.
 */

import { field, type ProviderContext, ProviderError, type ProviderResponse } from "../runtime.ts";
import {
  amount,
  day,
  email,
  type InvoiceLine,
  isoFrom,
  type ProviderSync,
  type PushInput,
  type PushResult,
  type RecordData,
  type SyncItem,
  type SyncPage,
  type SyncPageRequest,
  str,
} from "../sync.ts";
import { failure, sqlRequest } from "./client.ts";

/** The API Service returns at most this many records per GET, whatever `limit` says. */
export const PAGE_SIZE = 50;
/** Upper end of the modified-since range: 2100-01-01T00:00:00Z. */
const FAR_FUTURE = 4_102_444_800;

type Kind = "customers" | "products" | "invoices";

/** The configurable object path of each entity, with SQL's documented default. */
const PATHS: Record<Kind, { setting: string; fallback: string }> = {
  customers: { setting: "customer_path", fallback: "/customer" },
  products: { setting: "product_path", fallback: "/stockitem" },
  invoices: { setting: "invoice_path", fallback: "/salesinvoice" },
};

const ALIASES: Record<string, Kind> = {
  customers: "customers",
  customer: "customers",
  debtors: "customers",
  products: "products",
  product: "products",
  items: "products",
  stockitems: "products",
  stock_items: "products",
  invoices: "invoices",
  invoice: "invoices",
  salesinvoices: "invoices",
  sales_invoices: "invoices",
};

function kindOf(entity: string): Kind {
  const kind = ALIASES[entity.toLowerCase()];
  if (!kind) throw new ProviderError("permanent", `SQL Account does not sync ${entity}`);
  return kind;
}

/** The object path of an entity: the integration's setting, or SQL's default. */
export function objectPath(ctx: ProviderContext, kind: Kind): string {
  const { setting, fallback } = PATHS[kind];
  const v = ctx.config[setting];
  const path = typeof v === "string" && v.trim() ? v.trim() : fallback;
  return `/${path.replace(/^\/+|\/+$/g, "")}`;
}

/** Whether incremental runs send the `lastmodified` range filter (default true). */
export function usesModifiedFilter(ctx: ProviderContext): boolean {
  const v = ctx.config.sync_modified_filter;
  if (v === undefined || v === null || v === "") return true;
  if (typeof v === "boolean") return v;
  return !/^(false|0|no|off)$/i.test(String(v).trim());
}

type Row = Record<string, unknown>;
const isRow = (v: unknown): v is Row => !!v && typeof v === "object" && !Array.isArray(v);
const rowsOf = (data: unknown): Row[] => {
  const list = Array.isArray(data) ? data : field(data, "data");
  return Array.isArray(list) ? list.filter(isRow) : [];
};

/** `----` is SQL's "base currency", which carries no ISO code. */
function currency(value: unknown): string | null {
  const s = str(value);
  return s && /^[A-Za-z]{3}$/.test(s) ? s.toUpperCase() : null;
}

const truthy = (v: unknown) => v === true || v === 1 || /^(true|t|1|y|yes)$/i.test(String(v ?? ""));

function mapCustomer(r: Row): SyncItem | null {
  const code = str(r.code);
  if (!code) return null;
  const branches = Array.isArray(r.sdsbranch) ? r.sdsbranch.filter(isRow) : [];
  const b = branches[0] ?? {};
  const company = str(r.companyname);
  const line2 = [b.address2, b.address3, b.address4].map(str).filter(Boolean).join(", ");
  const address = {
    line1: str(b.address1),
    line2: line2 || null,
    city: str(b.city),
    region: str(b.state),
    postal_code: str(b.postcode),
    country: str(b.country),
  };
  return {
    externalId: code,
    data: {
      name: str(b.attention) ?? company ?? code,
      email: email(b.email),
      phone: str(b.phone1) ?? str(b.mobile),
      company,
      address: Object.values(address).some((v) => v !== null) ? address : null,
    },
    raw: r,
    modifiedAt: isoFrom(r.lastmodified),
  };
}

function mapProduct(r: Row): SyncItem | null {
  const code = str(r.code);
  if (!code) return null;
  return {
    externalId: code,
    data: {
      sku: code,
      name: str(r.description) ?? code,
      description: str(r.description2),
      price: amount(r.refprice),
      currency: null,
    },
    raw: r,
    modifiedAt: isoFrom(r.lastmodified),
  };
}

function invoiceStatus(r: Row): "open" | "paid" | "void" {
  if (truthy(r.cancelled)) return "void";
  const total = amount(r.docamt);
  const paid = amount(r.paymentamt);
  if (total !== null && paid !== null && total > 0 && paid >= total) return "paid";
  return "open";
}

function mapLines(r: Row): InvoiceLine[] {
  const lines = Array.isArray(r.sdsdocdetail) ? r.sdsdocdetail.filter(isRow) : [];
  return lines.slice(0, 500).map((l) => ({
    description: str(l.description),
    sku: str(l.itemcode),
    quantity: amount(l.qty) ?? 1,
    unit_price: amount(l.unitprice),
    amount: amount(l.amount),
  }));
}

function mapInvoice(r: Row): SyncItem | null {
  const key = str(r.dockey);
  if (!key) return null;
  return {
    externalId: key,
    data: {
      number: str(r.docno),
      customer_external_id: str(r.code),
      issue_date: day(r.docdate),
      due_date: day(r.duedate),
      currency: currency(r.currencycode),
      total: amount(r.docamt),
      status: invoiceStatus(r),
      lines: mapLines(r),
    },
    raw: r,
    modifiedAt: isoFrom(r.lastmodified),
  };
}

const MAPPERS: Record<Kind, (r: Row) => SyncItem | null> = {
  customers: mapCustomer,
  products: mapProduct,
  invoices: mapInvoice,
};

function offsetOf(cursor: string | null): number {
  if (!cursor) return 0;
  const n = Number(cursor);
  if (!Number.isInteger(n) || n < 0) throw new ProviderError("permanent", "SQL Account: bad sync cursor");
  return n;
}

async function page(ctx: ProviderContext, req: SyncPageRequest): Promise<SyncPage> {
  const kind = kindOf(req.entity);
  const offset = offsetOf(req.cursor);
  const query: Record<string, string | undefined> = { offset: String(offset), limit: String(PAGE_SIZE) };
  if (req.since && usesModifiedFilter(ctx)) {
    const sinceMs = Date.parse(req.since);
    if (Number.isFinite(sinceMs)) query.lastmodified = `${Math.floor(sinceMs / 1000)}~${FAR_FUTURE}`;
  }
  const res = await sqlRequest(ctx, { path: objectPath(ctx, kind), query });
  if (res.status !== 200) throw failure(res);
  // The official sample trims on the client in case the server ignores `limit`.
  const rows = rowsOf(res.data).slice(0, PAGE_SIZE);
  const items = rows.map(MAPPERS[kind]).filter((i): i is SyncItem => i !== null);
  return { items, next: rows.length < PAGE_SIZE ? null : String(offset + rows.length) };
}

// ---------------------------------------------------------------------------------------------
// Push.

const RANDOM_CODE = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A new customer code: SQL codes are short (10 characters) and the hub has none to offer. */
function newCode(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return prefix + Array.from(bytes, (b) => RANDOM_CODE[b % RANDOM_CODE.length]).join("");
}

const nextUpdateCount = (current: unknown): number | undefined => {
  const n = amount(field(current, "updatecount"));
  return n === null ? undefined : n + 1;
};

function customerBody(data: RecordData, code: string): Row {
  const d = data as { name: string; email?: string | null; phone?: string | null; company?: string | null };
  const a = (data as { address?: Record<string, string | null | undefined> | null }).address ?? {};
  const company = d.company ?? d.name;
  const branch: Row = {
    branchtype: "B",
    branchname: "BILLING",
    address1: a.line1 ?? "",
    address2: a.line2 ?? "",
    postcode: a.postal_code ?? "",
    city: a.city ?? "",
    state: a.region ?? "",
    country: a.country ?? "",
    attention: d.company && d.company !== d.name ? d.name : "",
    phone1: d.phone ?? "",
    email: d.email ?? "",
  };
  return { code, companyname: company, sdsbranch: [branch] };
}

function productBody(data: RecordData, code: string): Row {
  const d = data as { name: string; description?: string | null; price?: number | null };
  const body: Row = { code, description: d.name, description2: d.description ?? "" };
  if (d.price !== null && d.price !== undefined) body.refprice = d.price;
  return body;
}

function invoiceBody(data: RecordData): Row {
  const d = data as {
    number?: string | null;
    customer_external_id?: string | null;
    issue_date?: string | null;
    due_date?: string | null;
    currency?: string | null;
    status?: string | null;
    lines?: InvoiceLine[];
  };
  if (!d.customer_external_id) {
    throw new ProviderError("permanent", "SQL Account: an invoice needs its customer's code");
  }
  const body: Row = {
    docno: d.number ?? "",
    docdate: d.issue_date ?? new Date().toISOString().slice(0, 10),
    code: d.customer_external_id,
    sdsdocdetail: (d.lines ?? []).map((l) => {
      const line: Row = { description: l.description ?? "", qty: l.quantity };
      if (l.sku) line.itemcode = l.sku;
      if (l.unit_price !== null && l.unit_price !== undefined) line.unitprice = l.unit_price;
      if (l.amount !== null && l.amount !== undefined) line.amount = l.amount;
      return line;
    }),
  };
  if (d.due_date) body.duedate = d.due_date;
  if (d.currency) body.currencycode = d.currency;
  if (d.status === "void") body.cancelled = true;
  return body;
}

/** The record a write answered with, if it answered with one. */
function recordOf(res: ProviderResponse): Row | null {
  if (isRow(res.data) && !Array.isArray(field(res.data, "data"))) {
    return str(res.data.code) || str(res.data.dockey) ? res.data : null;
  }
  return rowsOf(res.data)[0] ?? null;
}

/** Reads one record back through the list's header-field filter (avoids the `/*` form). */
async function lookup(ctx: ProviderContext, kind: Kind, filter: Record<string, string>): Promise<Row | null> {
  const res = await sqlRequest(ctx, { path: objectPath(ctx, kind), query: { ...filter, offset: "0" } });
  if (res.status !== 200) throw failure(res);
  return rowsOf(res.data)[0] ?? null;
}

async function push(ctx: ProviderContext, entity: string, input: PushInput): Promise<PushResult> {
  const kind = kindOf(entity);
  const base = objectPath(ctx, kind);
  const updating = input.externalId !== undefined;
  let body: Row;
  let path = base;
  let key: Record<string, string>;
  if (kind === "customers") {
    const code = input.externalId ?? newCode("HB");
    body = customerBody(input.data, code);
    if (updating) path = `${base}/${encodeURIComponent(code)}`;
    key = { code };
  } else if (kind === "products") {
    const sku = (input.data as { sku?: string | null }).sku;
    const code = input.externalId ?? sku ?? newCode("HB");
    body = productBody(input.data, code);
    if (updating) {
      const dockey = str(field(input.current, "dockey"));
      if (!dockey) throw new ProviderError("permanent", "SQL Account: the stock item's dockey is unknown");
      path = `${base}/${encodeURIComponent(dockey)}`;
    }
    key = { code };
  } else {
    body = invoiceBody(input.data);
    if (updating) {
      const dockey = input.externalId ?? "";
      path = `${base}/${encodeURIComponent(dockey)}`;
      body.dockey = Number(dockey);
      if (!body.docno) body.docno = str(field(input.current, "docno")) ?? "";
    } else {
      body.dockey = 0;
    }
    key = {};
  }
  if (updating) {
    // "Send updatecount = the value you fetched + 1", or SQL refuses the write.
    const count = nextUpdateCount(input.current);
    if (count !== undefined) body.updatecount = count;
    else if (kind === "invoices") {
      throw new ProviderError(
        "permanent",
        "SQL Account: the invoice's updatecount is unknown; sync it first",
      );
    }
  }
  const res = await sqlRequest(ctx, { method: updating ? "PUT" : "POST", path, json: body });
  if (res.status < 200 || res.status >= 300) throw failure(res);
  let record = recordOf(res);
  if (!record) {
    if (kind === "invoices") {
      const dockey = updating ? input.externalId : undefined;
      const docno = str(body.docno);
      if (dockey) record = await lookup(ctx, kind, { dockey });
      else if (docno) record = await lookup(ctx, kind, { docno });
    } else if (key.code) {
      record = await lookup(ctx, kind, key);
    }
  }
  const item = record ? MAPPERS[kind](record) : null;
  if (!item) {
    if (kind !== "invoices" && key.code) return { externalId: key.code, raw: res.data ?? body };
    throw new ProviderError("permanent", "SQL Account accepted the invoice but did not say its dockey");
  }
  return { externalId: item.externalId, data: item.data, raw: item.raw };
}

/** SQL Account's sync declaration. */
export const sync: ProviderSync = {
  entities: {
    customers: {
      kind: "customer",
      aliases: ["customer", "debtors"],
      incremental: true,
      deletions: "sweep",
      push: true,
    },
    products: {
      kind: "product",
      aliases: ["product", "items", "stockitems", "stock_items"],
      incremental: true,
      deletions: "sweep",
      push: true,
    },
    invoices: {
      kind: "invoice",
      aliases: ["invoice", "salesinvoices", "sales_invoices"],
      incremental: true,
      deletions: "sweep",
      push: true,
    },
  },
  page,
  push,
};
