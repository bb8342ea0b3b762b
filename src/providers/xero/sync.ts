/**
 * Xero record sync (providers.md §19), Accounting API `/api.xro/2.0`: Contacts and Invoices page
 * with `page`/`pageSize` (100 a page), Items come in one unpaged answer; incremental runs send
 * `If-Modified-Since`. Archived contacts and DELETED invoices are tombstones; Xero deletes items
 * outright, so products are swept. Pushes POST `{Contacts|Items|Invoices: [...]}`, which creates
 * or, with the record's id, updates. Payments (received, ACCRECPAYMENT) page like invoices,
 * DELETED ones are tombstones, and a new one is PUT against its invoice (payments.ts).
 */
import { field, type ProviderContext, ProviderError, request } from "../runtime.ts";
import {
  amount,
  type CustomerData,
  day,
  email,
  type InvoiceData,
  type InvoiceLine,
  isoFrom,
  type PaymentData,
  type ProductData,
  type ProviderSync,
  type PushInput,
  type PushResult,
  type RecordData,
  type SyncEntity,
  type SyncItem,
  type SyncPage,
  type SyncPageRequest,
  str,
} from "../sync.ts";
import { failure, xeroHeaders } from "./client.ts";
import { mapPayment, pushPayment } from "./payments.ts";

/**
 * Items per page of Contacts and Invoices: Xero's documented default, used as the maximum since
 * providers.md leaves the real maximum UNCONFIRMED; a smaller engine page size is honoured.
 */
export const PAGE_SIZE = 100;

const ENTITIES = {
  customers: {
    kind: "customer",
    aliases: ["contacts"],
    incremental: true,
    deletions: "tombstones",
    push: true,
  },
  products: { kind: "product", aliases: ["items"], incremental: true, deletions: "sweep", push: true },
  invoices: { kind: "invoice", incremental: true, deletions: "tombstones", push: true },
  payments: { kind: "payment", incremental: true, deletions: "tombstones", push: true, createOnly: true },
} satisfies Record<string, SyncEntity>;

type EntityName = keyof typeof ENTITIES;

/** Each entity's collection (path and JSON key) and id field. */
const XERO: Record<EntityName, { collection: string; id: string }> = {
  customers: { collection: "Contacts", id: "ContactID" },
  products: { collection: "Items", id: "ItemID" },
  invoices: { collection: "Invoices", id: "InvoiceID" },
  payments: { collection: "Payments", id: "PaymentID" },
};

function entityName(entity: string): EntityName {
  for (const [name, e] of Object.entries(ENTITIES) as [EntityName, SyncEntity][]) {
    if (name === entity || e.aliases?.includes(entity)) return name;
  }
  throw new ProviderError("permanent", `Xero has no entity "${entity}" to sync`);
}

/** ISO 8601 of a Xero JSON date (`/Date(1700000000000+0000)/`, epoch ms in UTC) or a plain date string. */
export function xeroDate(value: unknown): string | null {
  const m = typeof value === "string" ? value.match(/^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/) : null;
  return m ? isoFrom(Number(m[1])) : isoFrom(value);
}

/** `If-Modified-Since` as Xero's examples write it: UTC, no zone designator. */
export const ifModifiedSince = (iso: string): string => new Date(iso).toISOString().replace(/Z$/, "");

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** A Xero Contact as normalized customer data (the contact's Name is the person or organisation). */
export function mapContact(raw: unknown): CustomerData {
  const phones = list(field(raw, "Phones"));
  const phone =
    [
      ...phones.filter((p) => field(p, "PhoneType") === "DEFAULT"),
      ...phones.filter((p) => field(p, "PhoneType") === "MOBILE"),
    ]
      .map((p) =>
        [field(p, "PhoneCountryCode"), field(p, "PhoneAreaCode"), field(p, "PhoneNumber")]
          .map(str)
          .filter(Boolean)
          .join(" "),
      )
      .find(Boolean) ?? null;
  const addresses = list(field(raw, "Addresses"));
  const addr = [...addresses.filter((a) => field(a, "AddressType") === "STREET"), ...addresses].find(
    (a) => str(field(a, "AddressLine1")) ?? str(field(a, "City")),
  );
  const person = [str(field(raw, "FirstName")), str(field(raw, "LastName"))].filter(Boolean).join(" ");
  return {
    name: str(field(raw, "Name")) ?? (person || `Contact ${String(field(raw, "ContactID"))}`),
    email: email(field(raw, "EmailAddress")),
    phone: phone ? phone.slice(0, 40) : null,
    company: null,
    address: addr
      ? {
          line1: str(field(addr, "AddressLine1")),
          line2: str(field(addr, "AddressLine2")),
          city: str(field(addr, "City")),
          region: str(field(addr, "Region")),
          postal_code: str(field(addr, "PostalCode")),
          country: str(field(addr, "Country")),
        }
      : null,
  };
}

/** A Xero Item as normalized product data (items are priced in the organisation's currency). */
export function mapItem(raw: unknown): ProductData {
  return {
    sku: str(field(raw, "Code")),
    name: str(field(raw, "Name")) ?? str(field(raw, "Code")) ?? `Item ${String(field(raw, "ItemID"))}`,
    description: str(field(raw, "Description")),
    price: amount(field(raw, "SalesDetails", "UnitPrice")),
    currency: null,
  };
}

const STATUS: Record<string, InvoiceData["status"]> = {
  DRAFT: "draft",
  SUBMITTED: "open",
  AUTHORISED: "open",
  PAID: "paid",
  VOIDED: "void",
};

/** A Xero Invoice as normalized invoice data. */
export function mapInvoice(raw: unknown): InvoiceData {
  const lines: InvoiceLine[] = list(field(raw, "LineItems"))
    .slice(0, 500)
    .map((l) => ({
      description: str(field(l, "Description")),
      sku: str(field(l, "ItemCode")),
      quantity: amount(field(l, "Quantity")) ?? 1,
      unit_price: amount(field(l, "UnitAmount")),
      amount: amount(field(l, "LineAmount")),
    }));
  return {
    number: str(field(raw, "InvoiceNumber")),
    customer_external_id: str(field(raw, "Contact", "ContactID")),
    issue_date: day(field(raw, "DateString")) ?? day(xeroDate(field(raw, "Date"))),
    due_date: day(field(raw, "DueDateString")) ?? day(xeroDate(field(raw, "DueDate"))),
    currency: str(field(raw, "CurrencyCode")),
    total: amount(field(raw, "Total")),
    status: STATUS[String(field(raw, "Status"))] ?? null,
    lines,
    amount_paid: amount(field(raw, "AmountPaid")),
    balance: amount(field(raw, "AmountDue")),
    paid_at: day(xeroDate(field(raw, "FullyPaidOnDate"))),
  };
}

const MAPPERS: Record<EntityName, (raw: unknown) => RecordData> = {
  customers: mapContact,
  products: mapItem,
  invoices: mapInvoice,
  payments: mapPayment,
};

/** Whether Xero reports the record as gone: an archived contact or a DELETED invoice. */
function isDeleted(name: EntityName, raw: unknown): boolean {
  if (name === "customers") return field(raw, "ContactStatus") === "ARCHIVED";
  if (name === "invoices" || name === "payments") return field(raw, "Status") === "DELETED";
  return false;
}

function parsePage(cursor: string | null): number {
  if (cursor === null) return 1;
  const n = Number(cursor);
  if (Number.isInteger(n) && n >= 1) return n;
  throw new ProviderError("permanent", "Xero: the sync cursor is not one this provider made");
}

async function page(ctx: ProviderContext, req: SyncPageRequest): Promise<SyncPage> {
  const name = entityName(req.entity);
  const xero = XERO[name];
  const pageNo = parsePage(req.cursor);
  const since = req.since ? isoFrom(req.since) : null;
  if (req.since && !since) throw new ProviderError("permanent", `Xero: since "${req.since}" is not a date`);
  const paged = name !== "products";
  const size = Math.max(1, Math.min(req.pageSize ?? PAGE_SIZE, PAGE_SIZE));
  const query: Record<string, string | undefined> = paged
    ? { page: String(pageNo), pageSize: String(size) }
    : {};
  if (name === "customers") query.includeArchived = "true";
  if (name === "invoices") query.where = 'Type=="ACCREC"';
  // Payments received against sales invoices (not those made on bills).
  if (name === "payments") query.where = 'PaymentType=="ACCRECPAYMENT"';
  const res = await request(ctx, {
    path: `/api.xro/2.0/${xero.collection}`,
    query,
    headers: { ...xeroHeaders(ctx), ...(since ? { "if-modified-since": ifModifiedSince(since) } : {}) },
  });
  if (res.status === 304) return { items: [], deleted: [], next: null };
  if (res.status !== 200) throw failure(res);
  const rows = list(field(res.data, xero.collection));
  const items: SyncItem[] = [];
  const deleted: string[] = [];
  for (const raw of rows) {
    const id = str(field(raw, xero.id));
    if (!id) continue;
    if (name === "invoices" && field(raw, "Type") !== "ACCREC") continue;
    if (name === "payments" && field(raw, "PaymentType") !== "ACCRECPAYMENT") continue;
    if (isDeleted(name, raw)) deleted.push(id);
    else
      items.push({
        externalId: id,
        data: MAPPERS[name](raw),
        raw,
        modifiedAt: xeroDate(field(raw, "UpdatedDateUTC")),
      });
  }
  return { items, deleted, next: paged && rows.length >= size ? String(pageNo + 1) : null };
}

/** Item codes are required (at most 30 characters); without a SKU one is made from the name. */
const itemCode = (p: ProductData) =>
  (
    p.sku ??
    p.name
      .toUpperCase()
      .replace(/[^A-Z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
  ).slice(0, 30);

/** Xero's invoice status for a pushed one; `paid` comes from payments, not from the status. */
const PUSH_STATUS: Record<string, string> = { draft: "DRAFT", open: "AUTHORISED", void: "VOIDED" };

function body(name: EntityName, data: RecordData): Record<string, unknown> {
  if (name === "customers") {
    const c = data as CustomerData;
    const a = c.address;
    return {
      Name: c.name,
      ...(c.email !== undefined ? { EmailAddress: c.email ?? "" } : {}),
      ...(c.phone ? { Phones: [{ PhoneType: "DEFAULT", PhoneNumber: c.phone }] } : {}),
      ...(a
        ? {
            Addresses: [
              {
                AddressType: "STREET",
                AddressLine1: a.line1 ?? undefined,
                AddressLine2: a.line2 ?? undefined,
                City: a.city ?? undefined,
                Region: a.region ?? undefined,
                PostalCode: a.postal_code ?? undefined,
                Country: a.country ?? undefined,
              },
            ],
          }
        : {}),
    };
  }
  if (name === "products") {
    const p = data as ProductData;
    return {
      Code: itemCode(p),
      Name: p.name.slice(0, 50),
      ...(p.description != null ? { Description: p.description } : {}),
      ...(p.price != null ? { SalesDetails: { UnitPrice: p.price } } : {}),
    };
  }
  const inv = data as InvoiceData;
  const status = inv.status ? PUSH_STATUS[inv.status] : undefined;
  return {
    Type: "ACCREC",
    ...(inv.customer_external_id ? { Contact: { ContactID: inv.customer_external_id } } : {}),
    ...(inv.number ? { InvoiceNumber: inv.number } : {}),
    ...(inv.issue_date ? { Date: inv.issue_date } : {}),
    ...(inv.due_date ? { DueDate: inv.due_date } : {}),
    ...(inv.currency ? { CurrencyCode: inv.currency } : {}),
    ...(status ? { Status: status } : {}),
    // Without lines an update keeps the invoice's own.
    ...(inv.lines.length ? { LineItems: inv.lines.map(line) } : {}),
  };
}

function line(l: InvoiceLine): Record<string, unknown> {
  return {
    ...(l.description ? { Description: l.description } : {}),
    Quantity: l.quantity,
    ...(l.unit_price != null ? { UnitAmount: l.unit_price } : {}),
    ...(l.sku ? { ItemCode: l.sku } : {}),
  };
}

/** Creates, or with `externalId` updates, one record (Xero's POST does both). */
async function push(ctx: ProviderContext, entity: string, input: PushInput): Promise<PushResult> {
  const name = entityName(entity);
  if (name === "payments") return pushPayment(ctx, input.data as PaymentData, input);
  const xero = XERO[name];
  const record = { ...body(name, input.data), ...(input.externalId ? { [xero.id]: input.externalId } : {}) };
  const res = await request(ctx, {
    method: "POST",
    path: `/api.xro/2.0/${xero.collection}`,
    headers: {
      ...xeroHeaders(ctx),
      // Xero answers a repeated Idempotency-Key with the first outcome instead of a second record.
      ...(input.key && !input.externalId ? { "idempotency-key": input.key } : {}),
    },
    json: { [xero.collection]: [record] },
  });
  if (res.status !== 200) throw failure(res);
  const raw = field(res.data, xero.collection, "0");
  const id = str(field(raw, xero.id));
  if (!id) throw new ProviderError("transient", `Xero: the ${xero.collection} answer has no ${xero.id}`);
  return { externalId: id, data: MAPPERS[name](raw), raw };
}

/** Xero contacts, items, invoices and payments, both ways. */
export const sync: ProviderSync = { entities: ENTITIES, page, push };
