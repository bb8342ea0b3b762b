/**
 * Xero sync against the simulator: paged Contacts and Invoices, unpaged Items, If-Modified-Since
 * incremental passes, archived contacts and DELETED invoices as deletions, hard-deleted items
 * simply absent, Xero JSON dates, error mapping (including the real 60/min limit), and pushes.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ProviderContext, ProviderError } from "../../src/providers/runtime.ts";
import type { SyncItem } from "../../src/providers/sync.ts";
import { provider } from "../../src/providers/xero/index.ts";
import { ifModifiedSince, xeroDate } from "../../src/providers/xero/sync.ts";
import { xeroAccount, xeroId } from "../../src/sandbox/providers/xero.ts";
import { call, newIntegration, newOrg } from "../harness.ts";
import { allRecords, syncAndWait, waitForPush } from "./helpers.ts";

const sync = provider.sync;

interface Seen {
  url: string;
  headers: Headers;
}

function context(tenant: string, opts: { token?: string; seen?: Seen[] } = {}): ProviderContext {
  return {
    baseUrl: "https://hub.test/sandbox/xero",
    config: { tenant_id: tenant },
    secrets: { access_token: opts.token ?? "eyJhbGciOiJSUzI1NiJ9.sandbox" },
    http: (req) => {
      opts.seen?.push({ url: decodeURIComponent(req.url), headers: req.headers });
      return exports.default.fetch(req);
    },
    timeoutMs: 5000,
  };
}

async function data(tenant: string, entity: string, body: Record<string, unknown>) {
  const r = await call("POST", `/sandbox/_data/xero/${entity}`, {
    body: { account: xeroAccount(tenant), ...body },
  });
  expect(r.status).toBe(200);
  return r.json as { touched: number[]; removed: number[]; purged: number[]; created: number[] };
}

async function drain(ctx: ProviderContext, entity: string, since: string | null = null) {
  const items: SyncItem[] = [];
  const deleted: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await sync.page(ctx, { entity, cursor, since });
    items.push(...page.items);
    deleted.push(...(page.deleted ?? []));
    cursor = page.next;
    pages++;
  } while (cursor && pages < 50);
  return { items, deleted, pages, ids: items.map((i) => i.externalId) };
}

async function rejection(p: Promise<unknown> | undefined): Promise<ProviderError> {
  const e = await (p ?? Promise.resolve()).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ProviderError);
  return e as ProviderError;
}

const ids = (entity: "customers" | "products" | "invoices" | "payments", ns: number[]) =>
  ns.map((n) => xeroId(entity, n)).sort();

describe("xero sync", () => {
  it("declares its entities, deletion modes, rate limits and capabilities; parses Xero dates", () => {
    expect(Object.keys(sync.entities)).toEqual(["customers", "products", "invoices", "payments"]);
    expect(sync.entities.customers).toMatchObject({ aliases: ["contacts"], deletions: "tombstones" });
    expect(sync.entities.products).toMatchObject({ aliases: ["items"], deletions: "sweep" });
    expect(sync.entities.invoices).toMatchObject({ deletions: "tombstones" });
    expect(sync.entities.payments).toMatchObject({
      kind: "payment",
      deletions: "tombstones",
      createOnly: true,
    });
    expect(provider.capabilities.push).toEqual(["customers", "products", "invoices", "payments"]);
    expect(provider.rateLimits).toEqual([
      { limit: 60, windowSeconds: 60 },
      { limit: 5000, windowSeconds: 86_400 },
    ]);
    expect(xeroDate("/Date(1700000000000+0000)/")).toBe("2023-11-14T22:13:20.000Z");
    expect(xeroDate("/Date(1700000000000)/")).toBe("2023-11-14T22:13:20.000Z");
    expect(xeroDate("2026-01-02T00:00:00")).toBe(new Date("2026-01-02T00:00:00").toISOString());
    expect(ifModifiedSince("2026-03-04T05:06:07.089Z")).toBe("2026-03-04T05:06:07.089");
  });

  it("a full pass pages Contacts 100 at a time, returns each live contact once, archived ones as deleted", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "customers", { count: 250 });
    const gone = await data(tenant, "customers", { remove: 2 });
    const seen: Seen[] = [];
    const run = await drain(context(tenant, { seen }), "contacts");
    expect(run.pages).toBe(3);
    expect(seen[0]?.url).toBe(
      "https://hub.test/sandbox/xero/api.xro/2.0/Contacts?page=1&pageSize=100&includeArchived=true",
    );
    expect(seen[0]?.headers.get("xero-tenant-id")).toBe(tenant);
    expect(seen[0]?.headers.get("accept")).toBe("application/json");
    expect(seen[0]?.headers.get("if-modified-since")).toBeNull();
    expect(run.ids).toHaveLength(248);
    expect(new Set(run.ids).size).toBe(248);
    expect(run.deleted.sort()).toEqual(ids("customers", gone.removed));
    const first = run.items.find((i) => i.externalId === xeroId("customers", 1));
    expect(first?.data).toEqual({
      name: "Ben Lee 00001",
      email: "ben.00001@example.com",
      phone: "+60120000001",
      company: null,
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

  it("an incremental pass sends If-Modified-Since and returns only what changed", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "customers", { count: 150 });
    const since = new Date(Date.now() - 1000).toISOString();
    const c = await data(tenant, "customers", { touch: 3, remove: 2, create: 4 });
    const seen: Seen[] = [];
    const run = await drain(context(tenant, { seen }), "customers", since);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.headers.get("if-modified-since")).toBe(since.replace(/Z$/, ""));
    expect(run.ids.sort()).toEqual(ids("customers", [...c.touched, ...c.created]));
    expect(run.deleted.sort()).toEqual(ids("customers", c.removed));
    expect(run.items.find((i) => i.externalId === xeroId("customers", 1))?.data).toMatchObject({
      name: "Ben Lee 00001 v2",
    });
  });

  it("Items come in one unpaged answer; deleted items are simply absent (sweep)", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "products", { count: 230 });
    const gone = await data(tenant, "products", { remove: 2, purge: 1 });
    const seen: Seen[] = [];
    const ctx = context(tenant, { seen });
    const run = await drain(ctx, "items");
    expect(run.pages).toBe(1);
    expect(seen[0]?.url).toBe("https://hub.test/sandbox/xero/api.xro/2.0/Items");
    expect(run.ids).toHaveLength(227);
    expect(run.deleted).toEqual([]);
    for (const n of [...gone.removed, ...gone.purged]) expect(run.ids).not.toContain(xeroId("products", n));
    expect(run.items[0]?.data).toEqual({
      sku: "SKU-00001",
      name: "Gadget 00001",
      description: "Sandbox product SKU-00001",
      price: 1.37,
      currency: null,
    });
    const since = new Date(Date.now() - 1000).toISOString();
    const t = await data(tenant, "products", { touch: 2 });
    const changed = await drain(ctx, "products", since);
    expect(changed.ids.sort()).toEqual(ids("products", t.touched));
  });

  it("Invoices: ACCREC only, statuses mapped, DELETED ones reported as deleted", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "invoices", { count: 130 });
    const seen: Seen[] = [];
    const ctx = context(tenant, { seen });
    const run = await drain(ctx, "invoices");
    expect(run.pages).toBe(2);
    expect(seen[0]?.url).toBe(
      'https://hub.test/sandbox/xero/api.xro/2.0/Invoices?page=1&pageSize=100&where=Type=="ACCREC"',
    );
    expect(run.ids).toHaveLength(130);
    const byId = new Map(run.items.map((i) => [i.externalId, i.data]));
    expect(byId.get(xeroId("invoices", 1))).toEqual({
      number: "INV-00001",
      customer_external_id: xeroId("customers", 1),
      issue_date: "2026-01-02",
      due_date: "2026-02-01",
      currency: "USD",
      total: 2.74,
      status: "open",
      lines: [{ description: "Gadget 00001", sku: "SKU-00001", quantity: 2, unit_price: 1.37, amount: 2.74 }],
      amount_paid: 0,
      balance: 2.74,
      paid_at: null,
    });
    // Paid in full by generated payment 2, ten days after its issue (FullyPaidOnDate).
    expect(byId.get(xeroId("invoices", 6))).toMatchObject({
      status: "paid",
      amount_paid: 9.66,
      balance: 0,
      paid_at: "2026-01-17",
    });
    expect(byId.get(xeroId("invoices", 5))).toMatchObject({ status: "void" });
    expect(byId.get(xeroId("invoices", 4))).toMatchObject({ status: "draft" });

    const since = new Date(Date.now() - 1000).toISOString();
    const i = await data(tenant, "invoices", { touch: 1, remove: 2 });
    const changed = await drain(ctx, "invoices", since);
    expect(changed.ids).toEqual(ids("invoices", i.touched));
    expect(changed.deleted.sort()).toEqual(ids("invoices", i.removed));
    const full = await drain(ctx, "invoices");
    expect(full.ids).toHaveLength(128);
    expect(full.deleted.sort()).toEqual(ids("invoices", i.removed));
  });

  it("maps 429 to rate_limited with Retry-After, 5xx to transient, a refused token to auth", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "products", { count: 1 });
    const ctx = context(tenant);
    await call("POST", "/sandbox/_data/xero/_faults", { body: { status: 429, count: 1, retry_after: 9 } });
    const limited = await rejection(sync.page(ctx, { entity: "products", cursor: null, since: null }));
    expect(limited).toMatchObject({ kind: "rate_limited", opts: { status: 429, retryAfterSeconds: 9 } });
    await call("POST", "/sandbox/_data/xero/_faults", { body: { status: 503, count: 1 } });
    expect((await rejection(sync.page(ctx, { entity: "products", cursor: null, since: null }))).kind).toBe(
      "transient",
    );
    const auth = await rejection(
      sync.page(context(tenant, { token: "eyJhbGci.invalid" }), {
        entity: "products",
        cursor: null,
        since: null,
      }),
    );
    expect(auth).toMatchObject({ kind: "auth", message: "Xero: AuthenticationUnsuccessful (HTTP 401)" });
  });

  it("enforces 60 calls a minute per tenant with Xero's 429 headers", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "products", { count: 1 });
    const headers = { authorization: "Bearer tok", "xero-tenant-id": tenant, accept: "application/json" };
    let last = await call("GET", "/sandbox/xero/api.xro/2.0/Items", { headers });
    expect(last.headers.get("x-minlimit-remaining")).toBe("59");
    expect(last.headers.get("x-daylimit-remaining")).toBe("4999");
    for (let k = 0; k < 59; k++) last = await call("GET", "/sandbox/xero/api.xro/2.0/Items", { headers });
    expect(last.status).toBe(200);
    expect(last.headers.get("x-minlimit-remaining")).toBe("0");
    const over = await call("GET", "/sandbox/xero/api.xro/2.0/Items", { headers });
    expect(over.status).toBe(429);
    expect(over.headers.get("x-rate-limit-problem")).toBe("minute");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    const err = await rejection(
      sync.page(context(tenant), { entity: "products", cursor: null, since: null }),
    );
    expect(err.kind).toBe("rate_limited");
    expect(err.message).toContain("minute limit");
    expect(err.opts.retryAfterSeconds).toBeGreaterThan(0);
  });

  it("pushes contacts: create, update by ContactID, validation errors with Xero's messages", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "customers", { count: 3 });
    const ctx = context(tenant);
    const created = await sync.push?.(ctx, "customers", {
      data: {
        name: "Acme Pte Ltd",
        email: "ap@acme.test",
        phone: "+6561234567",
        address: { city: "Singapore" },
      },
    });
    const id = created?.externalId ?? "";
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created?.data).toMatchObject({
      name: "Acme Pte Ltd",
      email: "ap@acme.test",
      phone: "+6561234567",
    });
    const updated = await sync.push?.(ctx, "customers", { externalId: id, data: { name: "Acme Holdings" } });
    expect(updated?.externalId).toBe(id);
    expect(updated?.raw).toMatchObject({
      ContactID: id,
      Name: "Acme Holdings",
      EmailAddress: "ap@acme.test",
    });

    const bad = await rejection(sync.push?.(ctx, "customers", { data: { name: "  " } }));
    expect(bad).toMatchObject({
      kind: "permanent",
      message: "Xero: The contact name must be specified. (HTTP 400)",
    });
    const raw = await call("POST", "/sandbox/xero/api.xro/2.0/Contacts", {
      headers: { authorization: "Bearer tok", "xero-tenant-id": tenant, accept: "application/json" },
      body: { Contacts: [{ EmailAddress: "x@y.test" }] },
    });
    expect(raw.status).toBe(400);
    expect(raw.json).toMatchObject({
      Type: "ValidationException",
      Elements: [
        { EmailAddress: "x@y.test", ValidationErrors: [{ Message: "The contact name must be specified." }] },
      ],
    });

    const list = await drain(ctx, "customers");
    expect(list.items.find((i) => i.externalId === id)?.data).toMatchObject({ name: "Acme Holdings" });
    expect(list.ids).toHaveLength(4);
  });

  it("pushes items and invoices; they come back in later lists", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "customers", { count: 3 });
    await data(tenant, "products", { count: 3 });
    await data(tenant, "invoices", { count: 3 });
    const ctx = context(tenant);
    const item = await sync.push?.(ctx, "products", {
      data: { name: "Consulting hour", sku: "CONS-1", price: 150, description: "One hour" },
    });
    expect(item?.raw).toMatchObject({
      Code: "CONS-1",
      Name: "Consulting hour",
      SalesDetails: { UnitPrice: 150 },
    });
    const renamed = await sync.push?.(ctx, "products", {
      externalId: item?.externalId,
      data: { name: "Consulting (hour)", sku: "CONS-1", price: 160 },
    });
    expect(renamed?.data).toMatchObject({ name: "Consulting (hour)", price: 160 });

    const customer = xeroId("customers", 2);
    const invoice = await sync.push?.(ctx, "invoices", {
      data: {
        customer_external_id: customer,
        issue_date: "2026-11-01",
        due_date: "2026-12-01",
        status: "open",
        lines: [{ description: "Consulting", sku: "CONS-1", quantity: 3, unit_price: 150 }],
      },
    });
    expect(invoice?.data).toMatchObject({
      customer_external_id: customer,
      issue_date: "2026-11-01",
      due_date: "2026-12-01",
      total: 450,
      status: "open",
      lines: [{ description: "Consulting", sku: "CONS-1", quantity: 3, unit_price: 150, amount: 450 }],
    });
    const voided = await sync.push?.(ctx, "invoices", {
      externalId: invoice?.externalId,
      data: { customer_external_id: customer, status: "void", lines: [] },
    });
    expect(voided?.data).toMatchObject({ status: "void" });

    const noContact = await rejection(sync.push?.(ctx, "invoices", { data: { lines: [] } }));
    expect(noContact.message).toContain("A Contact must be specified");

    const products = await drain(ctx, "products");
    expect(products.items.find((p) => p.externalId === item?.externalId)?.data).toMatchObject({
      name: "Consulting (hour)",
      price: 160,
    });
    const invoices = await drain(ctx, "invoices");
    expect(invoices.items.find((i) => i.externalId === invoice?.externalId)?.data).toMatchObject({
      status: "void",
      total: 450,
    });
  });

  it("Payments: received ones only, paged, If-Modified-Since, DELETED ones as deletions", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "invoices", { count: 30 });
    await data(tenant, "payments", { count: 12 });
    const seen: Seen[] = [];
    const ctx = context(tenant, { seen });
    const run = await drain(ctx, "payments");
    // Payment n pays invoice 3n: with 30 invoices, payments 1 to 10 exist.
    expect(run.ids.sort()).toEqual(ids("payments", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(seen[0]?.url).toBe(
      'https://hub.test/sandbox/xero/api.xro/2.0/Payments?page=1&pageSize=100&where=PaymentType=="ACCRECPAYMENT"',
    );
    expect(run.items.find((i) => i.externalId === xeroId("payments", 2))?.data).toEqual({
      invoice_external_id: xeroId("invoices", 6),
      customer_external_id: xeroId("customers", 6),
      date: "2026-01-17",
      amount: 9.66,
      currency: "USD",
      method: null,
      reference: "PMT-2",
    });
    const since = new Date(Date.now() - 1000).toISOString();
    // Payments 11 and 12 would pay invoices that do not exist: resize to the ten that do.
    const p = await data(tenant, "payments", { count: 10, remove: 1 });
    const changed = await drain(ctx, "payments", since);
    expect(changed.deleted).toEqual(ids("payments", p.removed));
    expect(seen.at(-1)?.headers.get("if-modified-since")).toBe(ifModifiedSince(since));
  });

  it("records a payment against an invoice with the payment account; Xero's refusals; Idempotency-Key", async () => {
    const tenant = crypto.randomUUID();
    await data(tenant, "customers", { count: 5 });
    await data(tenant, "invoices", { count: 5 });
    const seen: Seen[] = [];
    const base = context(tenant, { seen });
    const ctx = { ...base, config: { ...base.config, payment_account_code: "090" } };
    // Invoice 1 is AUTHORISED for 2.74.
    const input = {
      data: {
        invoice_external_id: xeroId("invoices", 1),
        amount: 1.74,
        date: "2026-11-03",
        reference: "BANK-1",
      },
      key: "push_xero_partial",
    };
    const partial = await sync.push?.(ctx, "payments", input);
    expect(seen.at(-1)?.url).toBe("https://hub.test/sandbox/xero/api.xro/2.0/Payments");
    expect(seen.at(-1)?.headers.get("idempotency-key")).toBe("push_xero_partial");
    expect(partial?.data).toEqual({
      invoice_external_id: xeroId("invoices", 1),
      customer_external_id: xeroId("customers", 1),
      date: "2026-11-03",
      amount: 1.74,
      currency: "USD",
      method: null,
      reference: "BANK-1",
    });
    expect(partial?.raw).toMatchObject({ Account: { Code: "090" }, PaymentType: "ACCRECPAYMENT" });
    const again = await sync.push?.(ctx, "payments", input);
    expect(again?.externalId).toBe(partial?.externalId);
    const rest = await sync.push?.(ctx, "payments", {
      data: { invoice_external_id: xeroId("invoices", 1), amount: 1, date: "2026-11-10" },
      key: "push_xero_rest",
    });
    const invoices = await drain(ctx, "invoices");
    expect(invoices.items.find((i) => i.externalId === xeroId("invoices", 1))?.data).toMatchObject({
      status: "paid",
      amount_paid: 2.74,
      balance: 0,
      paid_at: "2026-11-10",
    });
    const listed = await drain(ctx, "payments");
    expect(listed.ids).toEqual(expect.arrayContaining([partial?.externalId, rest?.externalId]));

    const refusal = async (data: Record<string, unknown>, config: Record<string, unknown> = ctx.config) =>
      (await rejection(sync.push?.({ ...ctx, config }, "payments", { data: data as never }))).message;
    expect(await refusal({ invoice_external_id: xeroId("invoices", 2), amount: 99 })).toContain(
      "Payment amount exceeds the amount outstanding on this document",
    );
    // Invoice 4 is a DRAFT.
    expect(await refusal({ invoice_external_id: xeroId("invoices", 4), amount: 1 })).toContain(
      "Payments can only be made against Authorised documents",
    );
    expect(
      await refusal(
        { invoice_external_id: xeroId("invoices", 2), amount: 1 },
        { ...ctx.config, payment_account_code: "999" },
      ),
    ).toContain("Account code '999' is not a valid code for this document.");
    expect(await refusal({ invoice_external_id: xeroId("invoices", 2), amount: 1 }, base.config)).toContain(
      "set payment_account_code",
    );
  });

  it("takes payments through the records API and syncs the invoice's paid fields back", async () => {
    const org = await newOrg("Xero payments");
    const tenant = crypto.randomUUID();
    await data(tenant, "customers", { count: 5 });
    await data(tenant, "invoices", { count: 5 });
    await data(tenant, "payments", { count: 5 });
    const integration = await newIntegration(org, {
      provider: "xero",
      name: "Xero payments",
      access_token: "eyJ.xero-payments",
      tenant_id: tenant,
      payment_account_code: "091",
    });
    const path = `/api/integrations/${integration.id}/records/payments`;
    const body = { data: { invoice_external_id: xeroId("invoices", 2), amount: 5.22, date: "2026-11-21" } };
    const bad = await call("POST", path, { key: org.adminKey, body: { data: { amount: 0 } } });
    expect(bad.status).toBe(400);
    expect(bad.json.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(["data.invoice_external_id", "data.amount"]),
    );
    const first = await call("POST", path, {
      key: org.adminKey,
      body,
      headers: { "idempotency-key": "x-pay-2" },
    });
    expect(first.status, first.text).toBe(202);
    const repeat = await call("POST", path, {
      key: org.adminKey,
      body,
      headers: { "idempotency-key": "x-pay-2" },
    });
    expect(repeat.json.push.id).toBe(first.json.push.id);
    const push = await waitForPush(org, integration.id, first.json.push.id);
    expect(push.status, push.error).toBe("succeeded");
    const created = await call("GET", `/sandbox/_data/xero/payments?account=${xeroAccount(tenant)}&created`);
    expect(created.json.items).toHaveLength(1);
    expect(created.json.items[0].body).toMatchObject({ Account: { Code: "091" }, Amount: 5.22 });

    expect((await syncAndWait(org, integration.id, "invoices")).status).toBe("success");
    const inv = (await allRecords(org, integration.id, "invoices")).find(
      (r) => r.external_id === xeroId("invoices", 2),
    );
    expect(inv?.data).toMatchObject({ status: "paid", amount_paid: 5.22, balance: 0, paid_at: "2026-11-21" });
    // Payment 1 pays invoice 3; the new one pays invoice 2.
    expect((await syncAndWait(org, integration.id, "payments")).records_synced).toBe(2);
  }, 30_000);
});
