/**
 * AutoCount Cloud Accounting record sync: debtors (`GET /{book}/debtor/listing?page=N`),
 * products (`POST /{book}/product/listing`) and sales invoices (`POST /{book}/invoice/listing`,
 * with a `lastModifiedDate` filter on incremental runs). Pages start at 1, hold at most 100
 * records, answer `{data, totalCount}` and come back empty past the end. Listing examples use
 * PascalCase keys while the models are camelCase, so fields are read case-insensitively.
 *
 * Debtors and products have no modified-since filter: every run scans them. No entity has a
 * deletion feed, so deletions are found by the engine's sweep of full runs. Listing order is not
 * stable; a record seen twice in one run is simply upserted twice.
 *
 * Pushes: `POST /{book}/debtor`, `PUT /{book}/debtor?code=` (partial update, 204),
 * `POST /{book}/product`, `PUT /{book}/product?code=`, `POST /{book}/invoice` (201 with an
 * empty body and a `location` header naming the new `docNo`), `PUT /{book}/invoice?docNo=`;
 * each write is read back with its single-record GET.
 */
import { type ProviderContext, ProviderError, type ProviderResponse } from "../runtime.ts";
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
import { autocountRequest, failure } from "./client.ts";

/** Records per listing page (AutoCount's maximum). */
export const PAGE_SIZE = 100;
/**
 * `lastModifiedDate` takes local date-times whose zone is not documented; starting the window
 * this much earlier covers any book time zone (upserts absorb the overlap).
 */
export const SINCE_OVERLAP_MS = 14 * 3_600_000;
const FAR_FUTURE = "2099-12-31T23:59:59";
/** The control account new and updated debtors sit under when the book's is not known. */
export const DEFAULT_DEBTOR_CONTROL = "300-0000";

type Kind = "customers" | "products" | "invoices";

const ALIASES: Record<string, Kind> = {
  customers: "customers",
  customer: "customers",
  debtors: "customers",
  debtor: "customers",
  products: "products",
  product: "products",
  items: "products",
  invoices: "invoices",
  invoice: "invoices",
  sales_invoices: "invoices",
};

function kindOf(entity: string): Kind {
  const kind = ALIASES[entity.toLowerCase()];
  if (!kind) throw new ProviderError("permanent", `AutoCount does not sync ${entity}`);
  return kind;
}

type Row = Record<string, unknown>;
const isRow = (v: unknown): v is Row => !!v && typeof v === "object" && !Array.isArray(v);

/** A field by name, whatever its casing (`AccNo`, `accNo`, `accno`). */
export function pick(row: unknown, name: string): unknown {
  if (!isRow(row)) return undefined;
  if (name in row) return row[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(row)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

const rowOf = (row: unknown, name: string): Row => {
  const v = pick(row, name);
  return isRow(v) ? v : {};
};

const truthy = (v: unknown) => v === true || /^(true|1|y|yes)$/i.test(String(v ?? ""));

function currency(value: unknown): string | null {
  const s = str(value);
  return s && /^[A-Za-z]{3}$/.test(s) ? s.toUpperCase() : null;
}

/** AutoCount keeps a debtor's address as one multi-line text. */
function address(text: unknown, postCode: unknown) {
  const lines = (str(text) ?? "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const out = {
    line1: lines[0] ?? null,
    line2: lines.slice(1).join(", ") || null,
    city: null,
    region: null,
    postal_code: str(postCode),
    country: null,
  };
  return out.line1 || out.postal_code ? out : null;
}

function mapDebtor(r: Row): SyncItem | null {
  const accNo = str(pick(r, "accNo"));
  if (!accNo) return null;
  const company = str(pick(r, "companyName"));
  return {
    externalId: accNo,
    data: {
      name: str(pick(r, "attention")) ?? company ?? accNo,
      email: email(pick(r, "emailAddress")),
      phone: str(pick(r, "phone1")) ?? str(pick(r, "mobile")),
      company,
      address: address(pick(r, "address"), pick(r, "postCode")),
    },
    raw: r,
    modifiedAt: isoFrom(pick(r, "lastModified")),
  };
}

function mapProduct(r: Row): SyncItem | null {
  // Listing rows wrap the product (`{product:{...}, productMultiPacks}`); GET answers the same.
  const p = isRow(pick(r, "product")) ? rowOf(r, "product") : r;
  const code = str(pick(p, "productCode"));
  if (!code) return null;
  return {
    externalId: code,
    data: {
      sku: code,
      name: str(pick(p, "productName")) ?? code,
      description: str(pick(p, "furtherDescription")),
      price: amount(pick(p, "price")),
      currency: null,
    },
    raw: r,
    modifiedAt: isoFrom(pick(p, "lastModified")),
  };
}

function mapInvoice(r: Row): SyncItem | null {
  const m = rowOf(r, "master");
  const docNo = str(pick(m, "docNo"));
  if (!docNo) return null;
  const details = pick(r, "details");
  const lines: InvoiceLine[] = (Array.isArray(details) ? details.filter(isRow) : [])
    .slice(0, 500)
    .map((d) => ({
      description: str(pick(d, "description")),
      sku: str(pick(d, "productCode")),
      quantity: amount(pick(d, "qty")) ?? 1,
      unit_price: amount(pick(d, "unitPrice")),
      amount: amount(pick(d, "subTotal")),
    }));
  const total = amount(pick(m, "total"));
  const outstanding = amount(pick(m, "outstanding"));
  let status: "open" | "paid" | "void" = "open";
  if (truthy(pick(m, "cancelled"))) status = "void";
  else if (total !== null && total > 0 && outstanding === 0) status = "paid";
  return {
    externalId: docNo,
    data: {
      number: docNo,
      customer_external_id: str(pick(m, "debtorCode")),
      issue_date: day(pick(m, "docDate")),
      due_date: day(pick(m, "dueDate")),
      currency: currency(pick(m, "currencyCode")),
      total,
      status,
      lines,
    },
    raw: r,
    modifiedAt: isoFrom(pick(m, "lastModified")),
  };
}

const MAPPERS: Record<Kind, (r: Row) => SyncItem | null> = {
  customers: mapDebtor,
  products: mapProduct,
  invoices: mapInvoice,
};

interface Cursor {
  /** The next page (1-based). */
  p: number;
  /** Records seen so far in this listing. */
  s: number;
}

function cursorOf(raw: string | null): Cursor {
  if (!raw) return { p: 1, s: 0 };
  try {
    const c = JSON.parse(raw) as Partial<Cursor>;
    if (Number.isInteger(c.p) && Number.isInteger(c.s) && (c.p ?? 0) >= 1) return c as Cursor;
  } catch {
    // falls through
  }
  throw new ProviderError("permanent", "AutoCount: bad sync cursor");
}

/** `yyyy-MM-ddTHH:mm:ss`, AutoCount's date-time format. */
const localTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);

async function list(ctx: ProviderContext, kind: Kind, page: number, since: string | null) {
  if (kind === "customers") {
    return autocountRequest(ctx, { path: "/debtor/listing", query: { page: String(page) } });
  }
  if (kind === "products") {
    return autocountRequest(ctx, {
      method: "POST",
      path: "/product/listing",
      json: { page, filter: { statuses: { active: true, inactive: true, discontinued: false } } },
    });
  }
  const filter: Row = {};
  const sinceMs = since ? Date.parse(since) : Number.NaN;
  if (Number.isFinite(sinceMs)) {
    filter.lastModifiedDate = { from: localTime(sinceMs - SINCE_OVERLAP_MS), to: FAR_FUTURE };
  }
  return autocountRequest(ctx, { method: "POST", path: "/invoice/listing", json: { page, filter } });
}

async function page(ctx: ProviderContext, req: SyncPageRequest): Promise<SyncPage> {
  const kind = kindOf(req.entity);
  const cursor = cursorOf(req.cursor);
  const res = await list(ctx, kind, cursor.p, kind === "invoices" ? req.since : null);
  if (res.status !== 200) throw failure(res);
  const data = pick(res.data, "data");
  const rows = Array.isArray(data) ? data.filter(isRow) : [];
  const total = amount(pick(res.data, "totalCount"));
  const items = rows.map(MAPPERS[kind]).filter((i): i is SyncItem => i !== null);
  const seen = cursor.s + rows.length;
  const done = rows.length === 0 || (total !== null && seen >= total);
  return { items, next: done ? null : JSON.stringify({ p: cursor.p + 1, s: seen }) };
}

// ---------------------------------------------------------------------------------------------
// Push.

function controlAccount(ctx: ProviderContext, current: unknown): string {
  const fromRecord = str(pick(current, "parentAccNo"));
  if (fromRecord) return fromRecord;
  const v = ctx.config.debtor_control_account;
  return typeof v === "string" && v.trim() ? v.trim() : DEFAULT_DEBTOR_CONTROL;
}

function debtorBody(data: RecordData): Row {
  const d = data as {
    name: string;
    email?: string | null;
    phone?: string | null;
    company?: string | null;
    address?: Record<string, string | null | undefined> | null;
  };
  const a = d.address ?? {};
  const text = [a.line1, a.line2, [a.city, a.region].filter(Boolean).join(" "), a.country]
    .map((l) => l?.trim())
    .filter(Boolean)
    .join("\n");
  return {
    companyName: d.company ?? d.name,
    attention: d.company && d.company !== d.name ? d.name : "",
    address: text,
    postCode: a.postal_code ?? "",
    phone1: d.phone ?? "",
    emailAddress: d.email ?? "",
  };
}

function productBody(data: RecordData, code: string, creating: boolean): Row {
  const d = data as { name: string; description?: string | null; price?: number | null };
  const product: Row = { productCode: code, productName: d.name, furtherDescription: d.description ?? "" };
  if (d.price !== null && d.price !== undefined) product.price = d.price;
  if (creating) Object.assign(product, { productType: "S", unit: "UNIT", status: "A" });
  return { product };
}

function invoiceBody(ctx: ProviderContext, data: RecordData, docNo: string | undefined): Row {
  const d = data as {
    number?: string | null;
    customer_external_id?: string | null;
    issue_date?: string | null;
    due_date?: string | null;
    currency?: string | null;
    lines?: InvoiceLine[];
  };
  if (!d.customer_external_id) {
    throw new ProviderError("permanent", "AutoCount: an invoice needs its debtor's account number");
  }
  const salesAcc = typeof ctx.config.sales_acc_no === "string" ? ctx.config.sales_acc_no.trim() : "";
  const master: Row = {
    docDate: d.issue_date ?? new Date().toISOString().slice(0, 10),
    debtorCode: d.customer_external_id,
  };
  const number = docNo ?? d.number ?? undefined;
  if (number) master.docNo = number;
  if (d.currency) master.currencyCode = d.currency;
  const details = (d.lines ?? []).map((l) => {
    const line: Row = { description: l.description ?? "", qty: l.quantity };
    if (l.sku) line.productCode = l.sku;
    if (l.unit_price !== null && l.unit_price !== undefined) line.unitPrice = l.unit_price;
    if (salesAcc) line.accNo = salesAcc;
    return line;
  });
  return { master, details, autoFillOption: { accNo: !salesAcc, taxCode: true } };
}

/** A query parameter of a create's `location` header (`…/invoice?docNo=I-000001`). */
function fromLocation(ctx: ProviderContext, res: ProviderResponse, name: string): string | null {
  const location = res.headers.get("location");
  if (!location) return null;
  try {
    const url = new URL(location, ctx.baseUrl);
    for (const [k, v] of url.searchParams) if (k.toLowerCase() === name.toLowerCase()) return v || null;
  } catch {
    return null;
  }
  return null;
}

const SINGLE: Record<Kind, { path: string; param: string }> = {
  customers: { path: "/debtor", param: "code" },
  products: { path: "/product", param: "code" },
  invoices: { path: "/invoice", param: "docNo" },
};

async function push(ctx: ProviderContext, entity: string, input: PushInput): Promise<PushResult> {
  const kind = kindOf(entity);
  const { path, param } = SINGLE[kind];
  const creating = input.externalId === undefined;
  let body: Row;
  let key = input.externalId;
  if (kind === "customers") {
    body = debtorBody(input.data);
    body.parentAccNo = controlAccount(ctx, input.current);
    // An empty accNo on create is filled from the book's customer code format.
    if (key) body.accNo = key;
  } else if (kind === "products") {
    const sku = (input.data as { sku?: string | null }).sku ?? undefined;
    key ??= sku;
    if (!key) throw new ProviderError("permanent", "AutoCount: a product needs a product code (sku)");
    body = productBody(input.data, key, creating);
  } else {
    body = invoiceBody(ctx, input.data, input.externalId);
  }
  const res = await autocountRequest(ctx, {
    method: creating ? "POST" : "PUT",
    path,
    query: creating ? undefined : { [param]: key },
    json: body,
  });
  if (res.status < 200 || res.status >= 300) throw failure(res);
  if (creating) {
    key =
      fromLocation(ctx, res, param) ??
      str(pick(res.data, kind === "invoices" ? "docNo" : kind === "customers" ? "accNo" : "productCode")) ??
      (kind === "invoices" ? str(pick(body.master, "docNo")) : key) ??
      undefined;
  }
  if (!key) throw new ProviderError("permanent", "AutoCount accepted the record but did not say its code");
  const read = await autocountRequest(ctx, { path, query: { [param]: key } });
  if (read.status !== 200) throw failure(read);
  const item = isRow(read.data) ? MAPPERS[kind](read.data) : null;
  if (!item) return { externalId: key, raw: read.data };
  return { externalId: item.externalId, data: item.data, raw: item.raw };
}

/** AutoCount's sync declaration. */
export const sync: ProviderSync = {
  entities: {
    customers: {
      kind: "customer",
      aliases: ["debtors", "debtor", "customer"],
      incremental: false,
      deletions: "sweep",
      push: true,
    },
    products: {
      kind: "product",
      aliases: ["product", "items"],
      incremental: false,
      deletions: "sweep",
      push: true,
    },
    invoices: {
      kind: "invoice",
      aliases: ["invoice", "sales_invoices"],
      incremental: true,
      deletions: "sweep",
      push: true,
    },
  },
  page,
  push,
};
