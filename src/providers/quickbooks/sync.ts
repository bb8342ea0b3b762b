/**
 * QuickBooks Online record sync (providers.md §18): full runs page the query endpoint
 * (`SELECT * FROM Customer WHERE Active IN (true, false) ORDERBY Id STARTPOSITION n MAXRESULTS
 * 1000`), incremental runs read Change Data Capture (`/cdc?entities=...&changedSince=`), which
 * reports deleted records with `status: "Deleted"` and inactivated customers and items with
 * `Active: false`. Pushes create with `POST /{entity}` and update with the same POST carrying
 * `Id`, `SyncToken` and `sparse: true`. Payments are recorded against one invoice (payments.ts)
 * and never updated through the hub; an invoice paid in full takes its `paid_at` from the
 * payments it links to.
 */
import { oauthBearer } from "../other/bearer.ts";
import { field, type ProviderContext, ProviderError, request } from "../runtime.ts";
import {
  type CustomerData,
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
import { apiBase, failure, qboGet as get, MINOR_VERSION, realmOf } from "./client.ts";
import { mapCustomer, mapInvoice, mapPayment, mapProduct, modified } from "./map.ts";
import { paidDates, paymentBody } from "./payments.ts";

/** MAXRESULTS of a query page, and the most objects one CDC response holds. */
export const MAX_RESULTS = 1000;

/** CDC looks back at most 30 days; older watermarks (with an hour's margin) use the query. */
export const CDC_LOOKBACK_MS = 30 * 86_400_000 - 3_600_000;

const ENTITIES = {
  customers: { kind: "customer", incremental: true, deletions: "tombstones", push: true },
  products: { kind: "product", aliases: ["items"], incremental: true, deletions: "tombstones", push: true },
  invoices: { kind: "invoice", incremental: true, deletions: "tombstones", push: true },
  payments: { kind: "payment", incremental: true, deletions: "tombstones", push: true, createOnly: true },
} satisfies Record<string, SyncEntity>;

type EntityName = keyof typeof ENTITIES;

/** The QBO entity of each hub entity: its query/CDC name and its create path. */
const QBO: Record<EntityName, { name: string; path: string; hasActive: boolean }> = {
  customers: { name: "Customer", path: "customer", hasActive: true },
  products: { name: "Item", path: "item", hasActive: true },
  invoices: { name: "Invoice", path: "invoice", hasActive: false },
  payments: { name: "Payment", path: "payment", hasActive: false },
};

const MAPPERS: Record<EntityName, (raw: unknown) => RecordData> = {
  customers: mapCustomer,
  products: mapProduct,
  invoices: (raw) => mapInvoice(raw),
  payments: mapPayment,
};

function entityName(entity: string): EntityName {
  for (const [name, e] of Object.entries(ENTITIES) as [EntityName, SyncEntity][]) {
    if (name === entity || e.aliases?.includes(entity)) return name;
  }
  throw new ProviderError("permanent", `QuickBooks has no entity "${entity}" to sync`);
}

type Cursor = { mode: "query"; start: number; since?: string } | { mode: "cdc"; since: string };

function parseCursor(cursor: string): Cursor {
  try {
    const c = JSON.parse(cursor) as Cursor;
    if (c.mode === "query" && Number.isInteger(c.start)) return c;
    if (c.mode === "cdc" && typeof c.since === "string") return c;
  } catch {
    // falls through
  }
  throw new ProviderError("permanent", "QuickBooks: the sync cursor is not one this provider made");
}

/** A page's items and tombstones; invoices paid in full get the day of their last payment. */
async function split(ctx: ProviderContext, name: EntityName, rows: unknown[]): Promise<SyncPage> {
  const items: SyncItem[] = [];
  const deleted: string[] = [];
  const live: { id: string; raw: unknown }[] = [];
  for (const raw of rows) {
    const id = str(field(raw, "Id"));
    if (!id) continue;
    if (field(raw, "status") === "Deleted" || field(raw, "Active") === false) deleted.push(id);
    else live.push({ id, raw });
  }
  const paid =
    name === "invoices"
      ? await paidDates(
          ctx,
          live.map((l) => l.raw),
        )
      : null;
  for (const { id, raw } of live) {
    const data = paid ? mapInvoice(raw, paid.get(id) ?? null) : MAPPERS[name](raw);
    items.push({ externalId: id, data, raw, modifiedAt: modified(raw) });
  }
  return { items, deleted, next: null };
}

async function queryPage(
  ctx: ProviderContext,
  name: EntityName,
  c: { start: number; since?: string },
  size: number,
) {
  const qbo = QBO[name];
  const where = [
    ...(qbo.hasActive ? ["Active IN (true, false)"] : []),
    ...(c.since ? [`Metadata.LastUpdatedTime > '${c.since}'`] : []),
  ];
  const query = `SELECT * FROM ${qbo.name}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDERBY Id STARTPOSITION ${c.start} MAXRESULTS ${size}`;
  const data = await get(ctx, "/query", { query });
  const rows = field(data, "QueryResponse", qbo.name);
  const list = Array.isArray(rows) ? rows : [];
  const page = await split(ctx, name, list);
  page.next =
    list.length >= size
      ? JSON.stringify({ mode: "query", start: c.start + size, ...(c.since ? { since: c.since } : {}) })
      : null;
  return page;
}

/**
 * One CDC response holds at most 1,000 objects: a full one continues from its last object's
 * LastUpdatedTime (less 1 ms, so objects sharing that instant come again rather than never);
 * when all of them share one instant CDC cannot move on, and the query takes over from there.
 */
async function cdcPage(ctx: ProviderContext, name: EntityName, since: string): Promise<SyncPage> {
  const qbo = QBO[name];
  const data = await get(ctx, "/cdc", { entities: qbo.name, changedSince: since });
  const responses = field(data, "CDCResponse", "0", "QueryResponse");
  const rows = (Array.isArray(responses) ? responses : []).flatMap((r) => {
    const list = field(r, qbo.name);
    return Array.isArray(list) ? list : [];
  });
  const times = rows.map((r) => Date.parse(modified(r) ?? "")).filter(Number.isFinite);
  const page = await split(ctx, name, rows);
  if (rows.length >= MAX_RESULTS && times.length) {
    const first = Math.min(...times);
    const last = Math.max(...times);
    const from = new Date(last - 1).toISOString();
    page.next = JSON.stringify(
      first === last ? { mode: "query", start: 1, since: from } : { mode: "cdc", since: from },
    );
  }
  return page;
}

async function page(ctx: ProviderContext, req: SyncPageRequest): Promise<SyncPage> {
  const name = entityName(req.entity);
  const size = Math.max(1, Math.min(req.pageSize ?? MAX_RESULTS, MAX_RESULTS));
  let cursor: Cursor;
  if (req.cursor) cursor = parseCursor(req.cursor);
  else if (!req.since) cursor = { mode: "query", start: 1 };
  else {
    const since = isoFrom(req.since);
    if (!since) throw new ProviderError("permanent", `QuickBooks: since "${req.since}" is not a date`);
    cursor =
      Date.now() - Date.parse(since) < CDC_LOOKBACK_MS
        ? { mode: "cdc", since }
        : { mode: "query", start: 1, since };
  }
  return cursor.mode === "cdc" ? cdcPage(ctx, name, cursor.since) : queryPage(ctx, name, cursor, size);
}

const ref = (value: string | null | undefined) => (value ? { value } : undefined);

/** A sales line; ItemRef is left out, so QuickBooks uses its default Services item. */
const salesLine = (l: InvoiceLine) => ({
  DetailType: "SalesItemLineDetail",
  Amount: l.amount ?? Math.round(l.quantity * (l.unit_price ?? 0) * 100) / 100,
  ...(l.description ? { Description: l.description } : {}),
  SalesItemLineDetail: { Qty: l.quantity, ...(l.unit_price != null ? { UnitPrice: l.unit_price } : {}) },
});

/** The QBO body of a push, without Id/SyncToken. */
async function body(
  ctx: ProviderContext,
  name: EntityName,
  data: RecordData,
  creating: boolean,
): Promise<Record<string, unknown>> {
  if (name === "payments") return paymentBody(ctx, data as PaymentData);
  if (name === "customers") {
    const c = data as CustomerData;
    const a = c.address;
    return {
      DisplayName: c.name,
      ...(c.company !== undefined ? { CompanyName: c.company ?? "" } : {}),
      ...(c.email ? { PrimaryEmailAddr: { Address: c.email } } : {}),
      ...(c.phone ? { PrimaryPhone: { FreeFormNumber: c.phone } } : {}),
      ...(a
        ? {
            BillAddr: {
              Line1: a.line1 ?? undefined,
              Line2: a.line2 ?? undefined,
              City: a.city ?? undefined,
              CountrySubDivisionCode: a.region ?? undefined,
              PostalCode: a.postal_code ?? undefined,
              Country: a.country ?? undefined,
            },
          }
        : {}),
    };
  }
  if (name === "products") {
    const p = data as ProductData;
    const account =
      typeof ctx.config.income_account_id === "string" && ctx.config.income_account_id
        ? ctx.config.income_account_id
        : "1";
    return {
      Name: p.name,
      ...(p.sku ? { Sku: p.sku } : {}),
      ...(p.description != null ? { Description: p.description } : {}),
      ...(p.price != null ? { UnitPrice: p.price } : {}),
      ...(creating ? { Type: "Service", IncomeAccountRef: { value: account } } : {}),
    };
  }
  const inv = data as InvoiceData;
  return {
    CustomerRef: ref(inv.customer_external_id),
    ...(inv.number ? { DocNumber: inv.number } : {}),
    ...(inv.issue_date ? { TxnDate: inv.issue_date } : {}),
    ...(inv.due_date ? { DueDate: inv.due_date } : {}),
    ...(inv.currency ? { CurrencyRef: { value: inv.currency } } : {}),
    // Without lines a (sparse) update keeps the invoice's own.
    ...(inv.lines.length ? { Line: inv.lines.map(salesLine) } : {}),
  };
}

/** The SyncToken of the stored raw item, or of the record as QuickBooks has it now. */
async function syncToken(
  ctx: ProviderContext,
  name: EntityName,
  id: string,
  current: unknown,
): Promise<string> {
  const stored = str(field(current, "SyncToken"));
  if (stored) return stored;
  const qbo = QBO[name];
  const data = await get(ctx, `/${qbo.path}/${encodeURIComponent(id)}`, {});
  const token = str(field(data, qbo.name, "SyncToken"));
  if (!token) throw new ProviderError("permanent", `QuickBooks: ${qbo.name} ${id} has no SyncToken`);
  return token;
}

/**
 * Creates or updates (sparse) one record. A stale SyncToken is QuickBooks' 400 "Stale Object
 * Error" (code 5010): the record changed there since it was read, and the push fails with it.
 */
async function push(ctx: ProviderContext, entity: string, input: PushInput): Promise<PushResult> {
  const name = entityName(entity);
  const qbo = QBO[name];
  if (input.externalId && name === "payments")
    throw new ProviderError("permanent", `QuickBooks: ${name} are only created through the hub`);
  const payload = await body(ctx, name, input.data, !input.externalId);
  if (input.externalId) {
    Object.assign(payload, {
      Id: input.externalId,
      SyncToken: await syncToken(ctx, name, input.externalId, input.current),
      sparse: true,
    });
  }
  const res = await request(apiBase(ctx), {
    method: "POST",
    path: `/v3/company/${realmOf(ctx)}/${qbo.path}`,
    // QuickBooks answers a repeated requestid with the first outcome instead of a second record.
    query: { minorversion: MINOR_VERSION, ...(input.key ? { requestid: input.key } : {}) },
    headers: oauthBearer(ctx),
    json: payload,
  });
  if (res.status !== 200) throw failure(res);
  const raw = field(res.data, qbo.name);
  const id = str(field(raw, "Id"));
  if (!id) throw new ProviderError("transient", `QuickBooks: the ${qbo.name} answer has no Id`);
  return { externalId: id, data: MAPPERS[name](raw), raw };
}

/** QuickBooks Online customers, items, invoices and payments, both ways. */
export const sync: ProviderSync = { entities: ENTITIES, page, push };
