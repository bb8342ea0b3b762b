/**
 * Simulated AutoCount Cloud Accounting Integration API: the creditor listing
 * (`GET /{accountBookId}/creditor/listing?page=N`) with the `Key-ID` and `API-Key` headers, and
 * AutoCount's `{"statusCode", "message"}` errors (401 documented; the 404 and 400 bodies follow
 * the same documented shape but are UNCONFIRMED).
 *
 * Record sync: `GET /{book}/debtor/listing?page=N` (PascalCase rows, as the docs' example),
 * `POST /{book}/product/listing` `{page, filter:{statuses}}` (rows `{product, productMultiPacks}`)
 * and `POST /{book}/invoice/listing` `{page, filter:{lastModifiedDate:{from,to}}}` (rows
 * `{master, details}`), 100 per page from page 1, `{data, totalCount}`, empty past the end, in a
 * stable order (the real order is not stable; tests need exactly-once passes). Deletions are
 * simply absent. Writes: POST `/debtor`, `/product`, `/invoice` answer 201 with an empty body and
 * a `location` naming the new record; PUT `?code=` / `?docNo=` answer 204; GET `?code=` /
 * `?docNo=` read one record. Every call counts against 100 requests a minute per key and book;
 * over it, 429 `{statusCode, message}` with `Retry-After` and the `x-rate-limit-*` headers.
 *
 * The dataset account is `<Key-ID>:<book id>`: see `autocountSandboxAccount`.
 */
import type { Context } from "hono";
import { countRequest, type DatasetItem, dataset, itemOf, takeFault, windowRetryAfter } from "../dataset.ts";
import { isInvalidCredential, simulator } from "../lib.ts";

/** The dataset account of a key and book. */
export const autocountSandboxAccount = (keyId: string, book: string): string => `${keyId}:${book}`;

export const autocount = simulator();

const RATE_HEADERS = { "x-rate-limit-limit": "1m", "x-rate-limit-remaining": "99" };

const fail = (statusCode: 400 | 401 | 404 | 500 | 503, text: string) =>
  Response.json({ statusCode, message: `${statusCode} ${text}.` }, { status: statusCode });

autocount.get("/:book/creditor/listing", (c) => {
  const keyId = c.req.header("key-id");
  const apiKey = c.req.header("api-key");
  if (!keyId || isInvalidCredential(apiKey) || isInvalidCredential(keyId)) return fail(401, "Unauthorized");
  if (!/^\d+$/.test(c.req.param("book"))) return fail(404, "Not Found");
  const page = Number(c.req.query("page") ?? "1");
  if (!Number.isInteger(page) || page < 1) return fail(400, "Bad Request");
  const data =
    page === 1 ? [{ accNo: "400-S001", companyName: "Sandbox Supplies Sdn Bhd", isActive: true }] : [];
  return c.json({ data, totalCount: 1 }, 200, RATE_HEADERS);
});

// ---------------------------------------------------------------------------------------------
// Record sync.

const PROVIDER = "autocount";
const PAGE_MAX = 100;
const LIMIT = 100;
const WINDOW_MS = 60_000;

type Row = Record<string, unknown>;
type Entity = "customers" | "products" | "invoices";
type Ctx = Context<{ Bindings: Env }>;

const pad = (n: number, w = 5) => String(n).padStart(w, "0");
const localTime = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const message = (statusCode: number, text: string) =>
  Response.json({ statusCode, message: `${statusCode} ${text}` }, { status: statusCode });

/** The dataset account of an authorized request under a numeric book, or the error to answer. */
function accountOf(c: Ctx): string | Response {
  const keyId = c.req.header("key-id");
  const apiKey = c.req.header("api-key");
  if (!keyId || isInvalidCredential(apiKey) || isInvalidCredential(keyId)) return fail(401, "Unauthorized");
  const book = c.req.param("book") ?? "";
  if (!/^\d+$/.test(book)) return fail(404, "Not Found");
  const account = autocountSandboxAccount(keyId, book);
  if (countRequest(PROVIDER, account, LIMIT, WINDOW_MS)) {
    const wait = windowRetryAfter(PROVIDER, account, WINDOW_MS);
    return Response.json(
      { statusCode: 429, message: `429 API calls quota exceeded! maximum admitted ${LIMIT} per 1m.` },
      {
        status: 429,
        headers: {
          "retry-after": String(wait),
          "x-rate-limit-limit": "1m",
          "x-rate-limit-remaining": "0",
          "x-rate-limit-reset": new Date(Date.now() + wait * 1000).toISOString(),
        },
      },
    );
  }
  return account;
}

function faulted(): Response | null {
  const fault = takeFault(PROVIDER);
  if (!fault) return null;
  if (fault.status === 429) {
    return Response.json(
      { statusCode: 429, message: `429 API calls quota exceeded! maximum admitted ${LIMIT} per 1m.` },
      {
        status: 429,
        headers: {
          "retry-after": String(fault.retryAfter),
          "x-rate-limit-limit": "1m",
          "x-rate-limit-remaining": "0",
        },
      },
    );
  }
  return message(fault.status, fault.status >= 500 ? "Internal Server Error." : "Bad Request.");
}

const debtorCode = (n: number) => `300-${pad(n, 4)}`;

/** A record in its model shape (camelCase): generated fields overlaid by what pushes sent. */
function recordOf(entity: Entity, item: DatasetItem): Row {
  const f = item.fields;
  const body = item.body ?? {};
  const modified = localTime(item.modifiedAt);
  if (entity === "customers") {
    return {
      accNo: debtorCode(item.n),
      parentAccNo: "300-0000",
      companyName: f.company,
      attention: f.name,
      address: `${f.street}\n${f.city}`,
      postCode: f.postalCode,
      phone1: f.phone,
      emailAddress: f.email,
      currencyCode: "MYR",
      isActive: true,
      ...body,
      lastModified: modified,
    };
  }
  if (entity === "products") {
    const product: Row = {
      productCode: f.sku,
      productName: f.lines[0]?.description ?? f.sku,
      furtherDescription: `Sandbox product ${pad(item.n)}`,
      productType: "S",
      unit: "UNIT",
      price: f.price,
      status: "A",
      ...((body.product as Row | undefined) ?? {}),
      lastModified: modified,
    };
    return { product, productMultiPacks: [] };
  }
  const master: Row = {
    docNo: `I-${pad(item.n, 6)}`,
    docDate: f.issueDate,
    debtorCode: debtorCode(f.customerN),
    currencyCode: "MYR",
    total: f.total,
    outstanding: f.status === "paid" ? 0 : f.total,
    cancelled: f.status === "void",
    ...((body.master as Row | undefined) ?? {}),
    docKey: item.n,
    lastModified: modified,
  };
  const details = Array.isArray(body.details)
    ? body.details
    : f.lines.map((l) => ({
        productCode: l.sku,
        description: l.description,
        qty: l.quantity,
        unitPrice: l.unitPrice,
        subTotal: Math.round(l.quantity * l.unitPrice * 100) / 100,
      }));
  return { master, details };
}

/** The docs' listing examples are PascalCase. */
const pascal = (row: Row): Row =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), v]));

function records(entity: Entity, account: string): { n: number; row: Row }[] {
  return dataset(PROVIDER, account, entity)
    .list()
    .map((e) => ({ n: e.n, row: recordOf(entity, itemOf(e)) }));
}

function listing(c: Ctx, rows: Row[], page: unknown) {
  const p = Number(page ?? 1);
  if (!Number.isInteger(p) || p < 1) return fail(400, "Bad Request");
  const data = rows.slice((p - 1) * PAGE_MAX, p * PAGE_MAX);
  return c.json({ data, totalCount: rows.length }, 200, RATE_HEADERS);
}

autocount.get("/:book/debtor/listing", (c) => {
  const f = faulted();
  if (f) return f;
  const account = accountOf(c);
  if (account instanceof Response) return account;
  const rows = records("customers", account).map((r) => pascal(r.row));
  return listing(c, rows, c.req.query("page"));
});

autocount.post("/:book/product/listing", async (c) => {
  const f = faulted();
  if (f) return f;
  const account = accountOf(c);
  if (account instanceof Response) return account;
  const body = (await c.req.json().catch(() => null)) as Row | null;
  if (!body) return fail(400, "Bad Request");
  const statuses = ((body.filter as Row | undefined)?.statuses ?? {}) as Row;
  const wanted = new Set<string>();
  if (statuses.active !== false) wanted.add("A");
  if (statuses.inactive === true) wanted.add("I");
  if (statuses.discontinued === true) wanted.add("D");
  const rows = records("products", account)
    .map((r) => r.row)
    .filter((r) => wanted.has(String((r.product as Row).status ?? "A")));
  return listing(c, rows, body.page);
});

autocount.post("/:book/invoice/listing", async (c) => {
  const f = faulted();
  if (f) return f;
  const account = accountOf(c);
  if (account instanceof Response) return account;
  const body = (await c.req.json().catch(() => null)) as Row | null;
  if (!body) return fail(400, "Bad Request");
  const range = ((body.filter as Row | undefined)?.lastModifiedDate ?? null) as Row | null;
  const from = range?.from ? String(range.from) : null;
  const to = range?.to ? String(range.to) : null;
  const rows = records("invoices", account)
    .map((r) => r.row)
    .filter((r) => {
      const at = String((r.master as Row).lastModified);
      return (!from || at >= from) && (!to || at <= to);
    });
  return listing(c, rows, body.page);
});

const KEYS: Record<Entity, { path: string; param: string; of: (r: Row) => string }> = {
  customers: { path: "debtor", param: "code", of: (r) => String(r.accNo) },
  products: { path: "product", param: "code", of: (r) => String((r.product as Row).productCode) },
  invoices: { path: "invoice", param: "docNo", of: (r) => String((r.master as Row).docNo) },
};

function find(entity: Entity, account: string, key: string) {
  return records(entity, account).find((r) => KEYS[entity].of(r.row) === key);
}

/** Why a write body is refused (AutoCount's 400 text), or null. */
function invalid(entity: Entity, body: Row, creating: boolean): string | null {
  if (entity === "customers") {
    if (!creating && !body.accNo) return "AccNo is required.";
    if (!body.parentAccNo) return "ParentAccNo is required.";
    if (creating && !body.companyName) return "CompanyName is required.";
    return null;
  }
  if (entity === "products") {
    const p = body.product as Row | undefined;
    if (!p || typeof p !== "object") return "Product is required.";
    if (!p.productCode) return "ProductCode is required.";
    if (creating && !p.productName) return "ProductName is required.";
    return null;
  }
  const m = body.master as Row | undefined;
  if (!m || typeof m !== "object") return "Master is required.";
  if (!m.debtorCode) return "DebtorCode is required.";
  if (!m.docDate) return "DocDate is required.";
  if (!Array.isArray(body.details)) return "Details is required.";
  return null;
}

for (const entity of ["customers", "products", "invoices"] as const) {
  const { path, param } = KEYS[entity];

  autocount.get(`/:book/${path}`, (c) => {
    const account = accountOf(c);
    if (account instanceof Response) return account;
    const found = find(entity, account, c.req.query(param) ?? "");
    return found ? c.json(found.row, 200, RATE_HEADERS) : fail(404, "Not Found");
  });

  autocount.post(`/:book/${path}`, async (c) => {
    const account = accountOf(c);
    if (account instanceof Response) return account;
    const body = (await c.req.json().catch(() => null)) as Row | null;
    if (!body || typeof body !== "object") return fail(400, "Bad Request");
    const problem = invalid(entity, body, true);
    if (problem) return Response.json({ statusCode: 400, message: problem }, { status: 400 });
    const d = dataset(PROVIDER, account, entity);
    const stored: Row = { ...body };
    let key: string;
    if (entity === "customers") {
      delete stored.accNo;
      const wanted = typeof body.accNo === "string" ? body.accNo : "";
      if (wanted && find(entity, account, wanted)) {
        return Response.json(
          { statusCode: 400, message: `AccNo ${wanted} already exists.` },
          { status: 400 },
        );
      }
      const [n = 0] = d.create(1, Date.now(), stored);
      key = wanted || debtorCode(n);
      d.update(n, { accNo: key });
    } else if (entity === "products") {
      key = String((body.product as Row).productCode);
      if (find(entity, account, key)) {
        return Response.json(
          { statusCode: 400, message: `ProductCode ${key} already exists.` },
          { status: 400 },
        );
      }
      d.create(1, Date.now(), stored);
    } else {
      const master = { ...(body.master as Row) };
      const wanted = typeof master.docNo === "string" ? master.docNo : "";
      if (wanted && find(entity, account, wanted)) {
        return Response.json(
          { statusCode: 400, message: `DocNo ${wanted} already exists.` },
          { status: 400 },
        );
      }
      const details = (body.details as Row[]).map((l) => ({
        ...l,
        subTotal: Math.round(Number(l.qty ?? 1) * Number(l.unitPrice ?? 0) * 100) / 100,
      }));
      const total = details.reduce((sum, l) => sum + l.subTotal, 0);
      const [n = 0] = d.create(1, Date.now(), { master, details });
      key = wanted || `I-${pad(n, 6)}`;
      d.update(n, { master: { ...master, docNo: key, total, outstanding: total, cancelled: false } });
    }
    const location = new URL(c.req.url);
    location.search = new URLSearchParams({ [param]: key }).toString();
    return c.body(null, 201, { ...RATE_HEADERS, location: location.toString() });
  });

  autocount.put(`/:book/${path}`, async (c) => {
    const account = accountOf(c);
    if (account instanceof Response) return account;
    const found = find(entity, account, c.req.query(param) ?? "");
    if (!found) return fail(404, "Not Found");
    const body = (await c.req.json().catch(() => null)) as Row | null;
    if (!body || typeof body !== "object") return fail(400, "Bad Request");
    const problem = invalid(entity, body, false);
    if (problem) return Response.json({ statusCode: 400, message: problem }, { status: 400 });
    const d = dataset(PROVIDER, account, entity);
    const e = d.get(found.n);
    const before = e?.body ?? {};
    // A partial update: fields left out keep their value.
    if (entity === "products") {
      d.update(found.n, { product: { ...((before.product as Row) ?? {}), ...(body.product as Row) } });
    } else if (entity === "invoices") {
      const master = { ...(found.row.master as Row), ...(body.master as Row) };
      delete master.lastModified;
      const details = (body.details as Row[]).map((l) => ({
        ...l,
        subTotal: Math.round(Number(l.qty ?? 1) * Number(l.unitPrice ?? 0) * 100) / 100,
      }));
      const total = details.reduce((sum, l) => sum + l.subTotal, 0);
      d.update(found.n, { master: { ...master, total, outstanding: total }, details });
    } else {
      d.update(found.n, body);
    }
    return c.body(null, 204, RATE_HEADERS);
  });
}
