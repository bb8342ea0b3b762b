/**
 * QuickBooks Online sync against the simulator: full query passes, CDC incremental passes with
 * deletions and the 1,000-object cap, the 30-day CDC window, error mapping, and pushes (create,
 * sparse update with SyncToken, stale SyncToken).
 */
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { provider } from "../../src/providers/quickbooks/index.ts";
import { type ProviderContext, ProviderError } from "../../src/providers/runtime.ts";
import type { SyncItem } from "../../src/providers/sync.ts";
import { quickbooksAccount } from "../../src/sandbox/providers/quickbooks.ts";
import { call, newIntegration, newOrg } from "../harness.ts";
import { allRecords, syncAndWait, waitForPush } from "./helpers.ts";

const sync = provider.sync;
let seq = 0;

// Tests that step the clock hand it back to the wall clock when they end.
afterEach(() => {
  vi.useRealTimers();
});
const newRealm = () => String(4620000000000000 + Math.floor(Math.random() * 1e9) * 100 + ++seq);

function context(
  realm: string,
  opts: { token?: string; urls?: string[]; config?: Record<string, unknown> } = {},
): ProviderContext {
  return {
    baseUrl: "https://hub.test/sandbox/quickbooks",
    config: { realm_id: realm, ...opts.config },
    secrets: { access_token: opts.token ?? "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2In0.sandbox" },
    http: (req) => {
      opts.urls?.push(decodeURIComponent(req.url.replace(/\+/g, " ")));
      return exports.default.fetch(req);
    },
    timeoutMs: 5000,
  };
}

async function data(realm: string, entity: string, body: Record<string, unknown>) {
  const r = await call("POST", `/sandbox/_data/quickbooks/${entity}`, {
    body: { account: quickbooksAccount(realm), ...body },
  });
  expect(r.status).toBe(200);
  return r.json as { touched: number[]; removed: number[]; created: number[] };
}

async function drain(ctx: ProviderContext, entity: string, since: string | null = null, pageSize?: number) {
  const items: SyncItem[] = [];
  const deleted: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await sync.page(ctx, { entity, cursor, since, pageSize });
    items.push(...page.items);
    deleted.push(...(page.deleted ?? []));
    cursor = page.next;
    pages++;
  } while (cursor && pages < 50);
  return { items, deleted, pages, ids: items.map((i) => i.externalId) };
}

async function rejection(p: Promise<unknown>): Promise<ProviderError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
}

describe("quickbooks sync", () => {
  it("declares its entities, rate limits and capabilities", () => {
    expect(Object.keys(sync.entities)).toEqual(["customers", "products", "invoices", "payments"]);
    expect(sync.entities.products?.aliases).toEqual(["items"]);
    expect(sync.entities.payments).toMatchObject({ kind: "payment", createOnly: true });
    expect(provider.capabilities.push).toEqual(["customers", "products", "invoices", "payments"]);
    expect(provider.rateLimits).toEqual([
      { limit: 500, windowSeconds: 60 },
      { limit: 10, windowSeconds: 1 },
    ]);
    expect(provider.fields.find((f) => f.name === "income_account_id")).toMatchObject({
      default: "1",
      required: false,
    });
  });

  it("a full pass pages the query endpoint and returns every live customer once, mapped", async () => {
    const realm = newRealm();
    await data(realm, "customers", { count: 120 });
    const urls: string[] = [];
    const run = await drain(context(realm, { urls }), "customers", null, 50);
    expect(run.pages).toBe(3);
    expect(run.ids).toHaveLength(120);
    expect(new Set(run.ids).size).toBe(120);
    expect(urls[0]).toBe(
      "https://hub.test/sandbox/quickbooks/v3/company/" +
        `${realm}/query?query=SELECT * FROM Customer WHERE Active IN (true, false) ORDERBY Id STARTPOSITION 1 MAXRESULTS 50&minorversion=75`,
    );
    expect(urls[1]).toContain("STARTPOSITION 51 MAXRESULTS 50");
    const first = run.items.find((i) => i.externalId === "1");
    expect(first?.data).toEqual({
      name: "Ben Lee 00001",
      email: "ben.00001@example.com",
      phone: "+60120000001",
      company: "Lee Trading 00001 Sdn Bhd",
      address: {
        line1: "2 Jalan Sandbox",
        line2: null,
        city: "Singapore",
        region: "Singapore",
        postal_code: "00013",
        country: "SG",
      },
    });
    expect(first?.modifiedAt).toBe("2026-01-01T00:00:01.000Z");
  });

  it("maps items (alias `items`) and invoices", async () => {
    const realm = newRealm();
    await data(realm, "products", { count: 30 });
    await data(realm, "invoices", { count: 30 });
    const ctx = context(realm);
    const products = await drain(ctx, "items");
    expect(products.ids).toHaveLength(30);
    expect(products.items[0]?.data).toEqual({
      sku: "SKU-00001",
      name: "Gadget 00001",
      description: "Sandbox product SKU-00001",
      price: 1.37,
      currency: null,
    });
    const invoices = await drain(ctx, "invoices");
    expect(invoices.ids).toHaveLength(30);
    const byId = new Map(invoices.items.map((i) => [i.externalId, i.data]));
    expect(byId.get("1")).toEqual({
      number: "1001",
      customer_external_id: "1",
      issue_date: "2026-01-02",
      due_date: "2026-02-01",
      currency: "USD",
      total: 2.74,
      status: "open",
      lines: [{ description: "Gadget 00001", sku: null, quantity: 2, unit_price: 1.37, amount: 2.74 }],
      amount_paid: 0,
      balance: 2.74,
      paid_at: null,
    });
    // Invoice 6 is paid by generated payment 2, ten days after its issue.
    expect(byId.get("6")).toMatchObject({ status: "paid", paid_at: "2026-01-17" });
    expect(byId.get("5")).toMatchObject({ status: "void", total: 0 });
  });

  it("an incremental pass reads CDC: only what changed, deleted invoices and inactive customers as deletions", async () => {
    const realm = newRealm();
    await data(realm, "customers", { count: 120 });
    await data(realm, "invoices", { count: 120 });
    const since = new Date(Date.now() - 1000).toISOString();
    const c = await data(realm, "customers", { touch: 3, remove: 2, create: 4 });
    const i = await data(realm, "invoices", { touch: 1, remove: 3 });
    const urls: string[] = [];
    const ctx = context(realm, { urls });

    const customers = await drain(ctx, "customers", since);
    expect(urls[0]).toBe(
      `https://hub.test/sandbox/quickbooks/v3/company/${realm}/cdc?entities=Customer&changedSince=${since}&minorversion=75`,
    );
    expect(customers.ids.sort()).toEqual([...c.touched, ...c.created].map(String).sort());
    expect(customers.deleted.sort()).toEqual(c.removed.map(String).sort());
    expect(customers.items.find((x) => x.externalId === "1")?.data).toMatchObject({
      name: "Ben Lee 00001 v2",
    });

    const invoices = await drain(ctx, "invoices", since);
    expect(invoices.ids).toEqual(i.touched.map(String));
    expect(invoices.deleted.sort()).toEqual(i.removed.map(String).sort());

    // A full pass no longer lists deleted invoices, and reports inactive customers as deleted.
    const full = await drain(ctx, "invoices");
    expect(full.ids).toHaveLength(117);
    expect(full.ids).not.toContain(String(i.removed[0]));
    const fullCustomers = await drain(ctx, "customers");
    expect(fullCustomers.ids).toHaveLength(122);
    expect(fullCustomers.deleted.sort()).toEqual(c.removed.map(String).sort());
  });

  it("continues past CDC's 1,000-object cap from the last LastUpdatedTime", async () => {
    const realm = newRealm();
    await data(realm, "products", { count: 10 });
    const since = new Date(Date.now() - 1000).toISOString();
    const a = await data(realm, "products", { create: 700 });
    // The second batch is stamped later than the first: the clock steps on, no sleep.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 5 });
    const b = await data(realm, "products", { create: 700 });
    const urls: string[] = [];
    const run = await drain(context(realm, { urls }), "products", since);
    expect(run.pages).toBe(2);
    expect(urls.every((u) => u.includes("/cdc?"))).toBe(true);
    expect(new Set(run.ids)).toEqual(new Set([...a.created, ...b.created].map(String)));
  });

  it("falls back to the query when 1,000 changes share one instant", async () => {
    const realm = newRealm();
    await data(realm, "customers", { count: 1300 });
    const since = new Date(Date.now() - 1000).toISOString();
    await data(realm, "customers", { touch: 1200 });
    const urls: string[] = [];
    const run = await drain(context(realm, { urls }), "customers", since);
    expect(new Set(run.ids).size).toBe(1200);
    expect(urls[0]).toContain("/cdc?");
    expect(urls[1]).toContain("Metadata.LastUpdatedTime >");
  });

  it("a `since` older than CDC's 30 days uses the query with a LastUpdatedTime filter", async () => {
    const realm = newRealm();
    await data(realm, "customers", { count: 120 });
    const urls: string[] = [];
    const run = await drain(context(realm, { urls }), "customers", "2026-01-01T00:01:00.000Z");
    expect(urls[0]).toContain(
      "SELECT * FROM Customer WHERE Active IN (true, false) AND Metadata.LastUpdatedTime > '2026-01-01T00:01:00.000Z'",
    );
    expect(run.ids).toHaveLength(60);
    expect(run.ids[0]).toBe("61");
  });

  it("maps 429 to rate_limited (Retry-After, else 60 s), 5xx to transient and a refused token to auth", async () => {
    const realm = newRealm();
    await data(realm, "customers", { count: 5 });
    const ctx = context(realm);
    await call("POST", "/sandbox/_data/quickbooks/_faults", {
      body: { status: 429, count: 1, retry_after: 7 },
    });
    const limited = await rejection(sync.page(ctx, { entity: "customers", cursor: null, since: null }));
    expect(limited).toMatchObject({ kind: "rate_limited", opts: { status: 429, retryAfterSeconds: 7 } });
    // Intuit documents a 60 s wait for throttled calls, used when no Retry-After comes.
    const bare = await rejection(
      sync.page(
        {
          ...ctx,
          http: async () =>
            Response.json({ Fault: { Error: [{ Message: "ThrottleExceeded" }] } }, { status: 429 }),
        },
        { entity: "customers", cursor: null, since: null },
      ),
    );
    expect(bare).toMatchObject({ kind: "rate_limited", opts: { retryAfterSeconds: 60 } });
    await call("POST", "/sandbox/_data/quickbooks/_faults", { body: { status: 503, count: 1 } });
    const down = await rejection(sync.page(ctx, { entity: "customers", cursor: null, since: null }));
    expect(down.kind).toBe("transient");
    const auth = await rejection(
      sync.page(context(realm, { token: "eyJlbmMi.invalid" }), {
        entity: "customers",
        cursor: null,
        since: null,
      }),
    );
    expect(auth).toMatchObject({ kind: "auth", message: "QuickBooks: AuthenticationFailed (HTTP 401)" });
    // The simulated per-second throttle answers Intuit's ThrottleExceeded fault.
    const burst = await Promise.allSettled(
      Array.from({ length: 12 }, () => sync.page(ctx, { entity: "customers", cursor: null, since: null })),
    );
    const refused = burst.find((r) => r.status === "rejected");
    expect(refused?.status === "rejected" && refused.reason).toMatchObject({ kind: "rate_limited" });
  });

  it("pushes customers: create, sparse update with the SyncToken, and a stale SyncToken is refused", async () => {
    const realm = newRealm();
    await data(realm, "customers", { count: 3 });
    const ctx = context(realm);
    const created = await sync.push?.(ctx, "customers", {
      data: { name: "Acme Pte Ltd", email: "ap@acme.test", phone: "+6561234567", company: "Acme" },
    });
    const id = created?.externalId ?? "";
    expect(id).toMatch(/^\d+$/);
    expect(created?.data).toMatchObject({ name: "Acme Pte Ltd", email: "ap@acme.test", company: "Acme" });
    expect(created?.raw).toMatchObject({ SyncToken: "0", Active: true });

    const updated = await sync.push?.(ctx, "customers", {
      externalId: id,
      data: { name: "Acme Holdings", email: "ap@acme.test" },
      current: created?.raw,
    });
    expect(updated?.raw).toMatchObject({
      Id: id,
      SyncToken: "1",
      DisplayName: "Acme Holdings",
      CompanyName: "Acme",
    });

    const stale = await rejection(
      sync.push?.(ctx, "customers", { externalId: id, data: { name: "Late" }, current: created?.raw }) ??
        Promise.resolve(),
    );
    expect(stale).toMatchObject({ kind: "permanent", opts: { code: "5010" } });
    expect(stale.message).toContain("Stale Object Error");

    // Without a stored raw item the SyncToken is read first; generated records update too.
    const generated = await sync.push?.(ctx, "customers", { externalId: "2", data: { name: "Renamed Two" } });
    expect(generated?.raw).toMatchObject({ SyncToken: "1", DisplayName: "Renamed Two" });

    const list = await drain(ctx, "customers");
    const names = new Map(list.items.map((i) => [i.externalId, (i.data as { name: string }).name]));
    expect(names.get(id)).toBe("Acme Holdings");
    expect(names.get("2")).toBe("Renamed Two");
  });

  it("pushes items with the income account and invoices with CustomerRef and sales lines", async () => {
    const realm = newRealm();
    await data(realm, "customers", { count: 3 });
    await data(realm, "products", { count: 3 });
    await data(realm, "invoices", { count: 3 });
    const ctx = context(realm, { config: { income_account_id: "79" } });
    const item = await sync.push?.(ctx, "products", {
      data: { name: "Consulting hour", sku: "CONS-1", price: 150, description: "One hour" },
    });
    expect(item?.raw).toMatchObject({ Type: "Service", IncomeAccountRef: { value: "79" }, Sku: "CONS-1" });
    const invoice = await sync.push?.(ctx, "invoices", {
      data: {
        customer_external_id: "2",
        issue_date: "2026-11-01",
        due_date: "2026-12-01",
        lines: [{ description: "Consulting", quantity: 3, unit_price: 150 }],
      },
    });
    expect(invoice?.data).toMatchObject({
      customer_external_id: "2",
      total: 450,
      status: "open",
      lines: [{ description: "Consulting", quantity: 3, unit_price: 150, amount: 450 }],
    });
    expect(invoice?.raw).toMatchObject({ Line: [{ SalesItemLineDetail: { ItemRef: { value: "1" } } }, {}] });

    const noCustomer = await rejection(
      sync.push?.(ctx, "invoices", { data: { lines: [{ quantity: 1, unit_price: 1 }] } }) ??
        Promise.resolve(),
    );
    expect(noCustomer.message).toContain("Required parameter CustomerRef is missing");

    const invoices = await drain(ctx, "invoices");
    expect(invoices.ids).toContain(invoice?.externalId);
    const products = await drain(ctx, "products");
    expect(products.items.find((p) => p.externalId === item?.externalId)?.data).toMatchObject({
      name: "Consulting hour",
      price: 150,
    });
  });

  it("syncs payments and the paid fields of invoices (amount_paid, balance, paid_at from linked payments)", async () => {
    const realm = newRealm();
    await data(realm, "invoices", { count: 30 });
    await data(realm, "payments", { count: 15 });
    const urls: string[] = [];
    const ctx = context(realm, { urls });
    // Payment n pays invoice 3n: with 30 invoices, payments 1 to 10 exist.
    const payments = await drain(ctx, "payments");
    expect(payments.ids).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    expect(urls[0]).toContain("SELECT * FROM Payment ORDERBY Id STARTPOSITION 1 MAXRESULTS 1000");
    const p2 = payments.items.find((i) => i.externalId === "2");
    expect(p2?.data).toEqual({
      invoice_external_id: "6",
      customer_external_id: "6",
      date: "2026-01-17",
      amount: 9.66,
      currency: "USD",
      method: "Visa",
      reference: "PMT-2",
    });
    urls.length = 0;
    const invoices = await drain(ctx, "invoices");
    const byId = new Map(invoices.items.map((i) => [i.externalId, i.data]));
    expect(byId.get("6")).toMatchObject({
      status: "paid",
      total: 9.66,
      amount_paid: 9.66,
      balance: 0,
      paid_at: "2026-01-17",
    });
    expect(byId.get("1")).toMatchObject({ status: "open", amount_paid: 0, balance: 2.74, paid_at: null });
    // One query page, then one query for the ten paid invoices' payments.
    expect(urls).toHaveLength(2);
    expect(urls[1]).toContain("SELECT * FROM Payment WHERE Id IN ('1', '2', '3'");
  });

  it("records a payment against an invoice: the balance falls, CDC shows both, a requestid repeats nothing", async () => {
    const realm = newRealm();
    await data(realm, "customers", { count: 5 });
    await data(realm, "invoices", { count: 5 });
    const ctx = context(realm);
    // QuickBooks takes 10 calls a second per realm: each step runs a second later.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const tick = () => vi.setSystemTime(Date.now() + 1100);
    // Invoice 1 (customer 1) is open for 2.74.
    const since = new Date(Date.now() - 60_000).toISOString();
    const partial = await sync.push?.(ctx, "payments", {
      data: { invoice_external_id: "1", amount: 1.24, date: "2026-11-03", reference: "BANK-778" },
      key: "push_partial_1",
    });
    expect(partial?.raw).toMatchObject({
      CustomerRef: { value: "1" },
      TotalAmt: 1.24,
      TxnDate: "2026-11-03",
      PaymentRefNum: "BANK-778",
      Line: [{ Amount: 1.24, LinkedTxn: [{ TxnId: "1", TxnType: "Invoice" }] }],
    });
    expect(partial?.data).toMatchObject({
      invoice_external_id: "1",
      customer_external_id: "1",
      amount: 1.24,
    });
    // The same requestid again answers the same payment and applies nothing more.
    const again = await sync.push?.(ctx, "payments", {
      data: { invoice_external_id: "1", amount: 1.24, date: "2026-11-03", reference: "BANK-778" },
      key: "push_partial_1",
    });
    expect(again?.externalId).toBe(partial?.externalId);
    const rest = await sync.push?.(ctx, "payments", {
      data: { invoice_external_id: "1", customer_external_id: "1", amount: 1.5, date: "2026-11-09" },
      key: "push_rest_1",
    });
    tick();
    const changes = await drain(ctx, "invoices", since);
    expect(changes.items.find((i) => i.externalId === "1")?.data).toMatchObject({
      status: "paid",
      amount_paid: 2.74,
      balance: 0,
      paid_at: "2026-11-09",
    });
    const paid = await drain(ctx, "payments", since);
    expect(paid.ids.sort()).toEqual([partial?.externalId, rest?.externalId].sort());

    tick();
    const over = await rejection(
      sync.push?.(ctx, "payments", { data: { invoice_external_id: "2", amount: 999 } }) ?? Promise.resolve(),
    );
    expect(over).toMatchObject({ kind: "permanent", opts: { code: "6000" } });
    expect(over.message).toContain("more than its open balance");
    const missing = await rejection(
      sync.push?.(ctx, "payments", { data: { invoice_external_id: "999", amount: 1 } }) ?? Promise.resolve(),
    );
    expect(missing.kind).toBe("permanent");
    const update = await rejection(
      sync.push?.(ctx, "payments", { externalId: "1", data: { invoice_external_id: "2", amount: 1 } }) ??
        Promise.resolve(),
    );
    expect(update.message).toContain("only created");
  });

  it("takes payments through the records API: validated, idempotent, synced back", async () => {
    const org = await newOrg("QuickBooks payments");
    const realm = newRealm();
    await data(realm, "customers", { count: 5 });
    await data(realm, "invoices", { count: 5 });
    await data(realm, "payments", { count: 5 });
    const integration = await newIntegration(org, {
      provider: "quickbooks",
      name: "QBO payments",
      access_token: "eyJ.payments",
      realm_id: realm,
    });
    const path = `/api/integrations/${integration.id}/records/payments`;
    const post = (body: unknown, key: string) =>
      call("POST", path, { key: org.adminKey, body, headers: { "idempotency-key": key } });

    for (const [body, field] of [
      [{ data: { amount: 5 } }, "data.invoice_external_id"],
      [{ data: { invoice_external_id: "2", amount: -5 } }, "data.amount"],
      [{ data: { invoice_external_id: "2", amount: 5, paid: true } }, "data"],
      [{ external_id: "1", data: { invoice_external_id: "2", amount: 5 } }, "external_id"],
    ] as const) {
      const r = await post(body, `bad-${field}`);
      expect(r.status, r.text).toBe(400);
      expect(r.json.issues.map((i: { path: string }) => i.path)).toContain(field);
    }

    // Invoice 2 is open for 5.22.
    const body = {
      data: { invoice_external_id: "2", amount: 2.22, date: "2026-11-20", reference: "WIRE-1" },
    };
    const first = await post(body, "pay-invoice-2");
    expect(first.status, first.text).toBe(202);
    const repeat = await post(body, "pay-invoice-2");
    expect(repeat.status).toBe(200);
    expect(repeat.json.push.id).toBe(first.json.push.id);
    expect((await post({ data: { ...body.data, amount: 1 } }, "pay-invoice-2")).status).toBe(409);

    const push = await waitForPush(org, integration.id, first.json.push.id);
    expect(push.status, push.error).toBe("succeeded");
    const stored = await call("GET", `${path}/${push.external_id}`, { key: org.adminKey });
    expect(stored.json.record.data).toMatchObject({
      invoice_external_id: "2",
      customer_external_id: "2",
      amount: 2.22,
      reference: "WIRE-1",
    });
    // One payment at QuickBooks, and invoice 2 owes 2.22 less.
    const created = await call("GET", `/sandbox/_data/quickbooks/payments?account=${realm}&created`);
    expect(created.json.items).toHaveLength(1);

    const job = await syncAndWait(org, integration.id, "invoices");
    expect(job.status).toBe("success");
    const invoices = await allRecords(org, integration.id, "invoices");
    const inv2 = invoices.find((r) => r.external_id === "2")?.data as Record<string, number>;
    expect(inv2).toMatchObject({ total: 5.22, amount_paid: 2.22, balance: 3, paid_at: null });
    expect((await syncAndWait(org, integration.id, "payments")).records_synced).toBe(2);
  }, 30_000);
});
