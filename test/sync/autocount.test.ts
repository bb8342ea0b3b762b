/**
 * AutoCount Cloud Accounting sync against the simulated Integration API: 1-based pages of 100
 * with `totalCount`, PascalCase listing rows, the invoice `lastModifiedDate` filter, deletions
 * left to the sweep, the per-minute rate limit and error mapping, and pushes that read the new
 * record's code from the `location` header.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { provider } from "../../src/providers/autocount/index.ts";
import { PAGE_SIZE } from "../../src/providers/autocount/sync.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import type { ProviderSync, SyncItem } from "../../src/providers/sync.ts";
import { RECORD_SCHEMAS } from "../../src/providers/sync.ts";
import { autocountSandboxAccount } from "../../src/sandbox/providers/autocount.ts";
import { BASE, call } from "../harness.ts";

const sync = provider.sync as ProviderSync;
const push = sync.push as NonNullable<ProviderSync["push"]>;
let seq = 0;

/** A fresh simulated book: its own key id, so its own datasets and rate window. */
function book(config: Record<string, unknown> = {}) {
  const keyId = `sync-${++seq}-${Date.now()}`;
  const ctx: ProviderContext = {
    baseUrl: `${BASE}/sandbox/autocount`,
    config: { account_book_id: "12345", key_id: keyId, ...config },
    secrets: { api_key: "ac-key-sandbox" },
    http: (req) => exports.default.fetch(req),
    timeoutMs: 5000,
  };
  return { ctx, account: autocountSandboxAccount(keyId, "12345") };
}

async function control(acct: string, entity: string, body: Record<string, unknown>) {
  const r = await call("POST", `/sandbox/_data/autocount/${entity}`, { body: { account: acct, ...body } });
  expect(r.status).toBe(200);
  return r.json as { touched: number[]; removed: number[]; purged: number[]; created: number[] };
}

async function all(ctx: ProviderContext, entity: string, since: string | null = null) {
  const items: SyncItem[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await sync.page(ctx, { entity, cursor, since });
    expect(page.items.length).toBeLessThanOrEqual(PAGE_SIZE);
    expect(page.deleted ?? []).toEqual([]);
    items.push(...page.items);
    cursor = page.next;
    pages++;
  } while (cursor && pages < 100);
  return { items, pages };
}

const code = (n: number) => `300-${String(n).padStart(4, "0")}`;

describe("autocount sync", () => {
  it("declares its entities, rate limit and capabilities", () => {
    expect(sync.entities).toMatchObject({
      customers: { kind: "customer", incremental: false, deletions: "sweep", push: true },
      products: { kind: "product", incremental: false, deletions: "sweep", push: true },
      invoices: { kind: "invoice", incremental: true, deletions: "sweep", push: true },
    });
    expect(provider.rateLimits).toEqual([{ limit: 100, windowSeconds: 60 }]);
    expect(provider.capabilities.sync).toEqual(["customers", "products", "invoices"]);
    expect(provider.capabilities.push).toEqual(["customers", "products", "invoices"]);
  });

  it("a full pass pages from 1 by totalCount and maps debtors, products and invoices", async () => {
    const { ctx, account } = book();
    for (const e of ["customers", "products", "invoices"]) await control(account, e, { count: 120 });

    const customers = await all(ctx, "debtors");
    expect(customers.pages).toBe(2);
    expect(customers.items).toHaveLength(120);
    expect(new Set(customers.items.map((i) => i.externalId)).size).toBe(120);
    expect(customers.items[0]).toMatchObject({
      externalId: "300-0001",
      data: {
        name: "Ben Lee 00001",
        email: "ben.00001@example.com",
        phone: "+60120000001",
        company: "Lee Trading 00001 Sdn Bhd",
        address: {
          line1: "2 Jalan Sandbox",
          line2: "Singapore",
          city: null,
          region: null,
          postal_code: "00013",
          country: null,
        },
      },
    });
    // The listing rows are PascalCase, as in AutoCount's docs.
    expect(Object.keys(customers.items[0]?.raw as object)).toContain("AccNo");

    const products = await all(ctx, "products");
    expect(products.items).toHaveLength(120);
    expect(products.items[1]).toMatchObject({
      externalId: "SKU-00002",
      data: { sku: "SKU-00002", name: "Sprocket 00002", price: 1.74, description: "Sandbox product 00002" },
    });

    const invoices = await all(ctx, "invoices");
    expect(invoices.items).toHaveLength(120);
    expect(invoices.items[4]).toMatchObject({
      externalId: "I-000005",
      data: {
        number: "I-000005",
        customer_external_id: code(5),
        issue_date: "2026-01-06",
        currency: "MYR",
        total: 5.7,
        status: "void",
        lines: [
          { description: "Sensor 00005", sku: "SKU-00005", quantity: 2, unit_price: 2.85, amount: 5.7 },
        ],
      },
    });
    expect(invoices.items[2]?.data).toMatchObject({ status: "paid" });
    expect(invoices.items[0]?.data).toMatchObject({ status: "open" });
    for (const [kind, list] of [
      ["customer", customers.items],
      ["product", products.items],
      ["invoice", invoices.items],
    ] as const) {
      for (const i of list) expect(RECORD_SCHEMAS[kind].safeParse(i.data).success).toBe(true);
    }
  });

  it("an incremental invoice pass filters on lastModifiedDate; deletions are simply absent", async () => {
    const { ctx, account } = book();
    await control(account, "invoices", { count: 120 });
    const since = new Date(Date.now() - 1000).toISOString();
    const changed = await control(account, "invoices", { touch: 2, create: 3, remove: 1, purge: 1 });
    const { items } = await all(ctx, "invoices", since);
    const expected = [...changed.touched, ...changed.created].map((n) => `I-${String(n).padStart(6, "0")}`);
    expect(items.map((i) => i.externalId).sort()).toEqual(expected.sort());

    const full = await all(ctx, "invoices");
    expect(full.items).toHaveLength(121);
    for (const n of [...changed.removed, ...changed.purged]) {
      expect(full.items.some((i) => i.externalId === `I-${String(n).padStart(6, "0")}`)).toBe(false);
    }

    // Debtors have no modified-since: a run with since still scans them all.
    await control(account, "customers", { count: 30 });
    expect((await all(ctx, "customers", since)).items).toHaveLength(30);
  });

  it("maps 429 to rate_limited (fault and the real per-minute limit), 5xx to transient, a bad key to auth", async () => {
    const { ctx, account } = book();
    await control(account, "customers", { count: 5 });
    await call("POST", "/sandbox/_data/autocount/_faults", {
      body: { status: 429, count: 1, retry_after: 9 },
    });
    await expect(sync.page(ctx, { entity: "customers", cursor: null, since: null })).rejects.toMatchObject({
      kind: "rate_limited",
      opts: { status: 429, retryAfterSeconds: 9 },
    });
    await call("POST", "/sandbox/_data/autocount/_faults", { body: { status: 500, count: 1 } });
    await expect(sync.page(ctx, { entity: "customers", cursor: null, since: null })).rejects.toMatchObject({
      kind: "transient",
    });
    const bad = { ...ctx, secrets: { api_key: "ac-key-invalid" } };
    await expect(sync.page(bad, { entity: "products", cursor: null, since: null })).rejects.toMatchObject({
      kind: "auth",
      message: "AutoCount: Unauthorized (HTTP 401)",
    });

    // 100 calls a minute per key and book; the 101st is refused with AutoCount's headers.
    for (let i = 0; i < 100; i++) {
      const r = await call("GET", "/sandbox/autocount/12345/debtor/listing?page=1", {
        headers: { "Key-ID": String(ctx.config.key_id), "API-Key": "ac-key-sandbox" },
      });
      if (r.status === 429) break;
    }
    const over = await call("GET", "/sandbox/autocount/12345/debtor/listing?page=1", {
      headers: { "Key-ID": String(ctx.config.key_id), "API-Key": "ac-key-sandbox" },
    });
    expect(over.status).toBe(429);
    expect(over.json).toMatchObject({ statusCode: 429 });
    expect(over.headers.get("x-rate-limit-limit")).toBe("1m");
    const limited = await sync.page(ctx, { entity: "customers", cursor: null, since: null }).catch((e) => e);
    expect(limited).toMatchObject({ kind: "rate_limited" });
    expect(limited.opts.retryAfterSeconds).toBeGreaterThan(0);
    expect(limited.opts.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it("pushes debtors: create takes the accNo from location, update is a partial PUT ?code=", async () => {
    const { ctx, account } = book();
    await control(account, "customers", { count: 3 });
    const created = await push(ctx, "customers", {
      data: {
        name: "Siti Aminah",
        company: "Aminah Foods Sdn Bhd",
        email: "siti@example.com",
        address: { line1: "1 Jalan Ampang", city: "Kuala Lumpur", postal_code: "50450" },
      },
    });
    expect(created.externalId).toMatch(/^300-\d{4}$/);
    expect(created.data).toMatchObject({
      name: "Siti Aminah",
      company: "Aminah Foods Sdn Bhd",
      email: "siti@example.com",
      address: { line1: "1 Jalan Ampang", line2: "Kuala Lumpur", postal_code: "50450" },
    });
    const updated = await push(ctx, "customers", {
      externalId: created.externalId,
      data: { name: "Siti Aminah", company: "Aminah Foods Sdn Bhd", email: "accounts@aminah.my" },
      current: created.raw,
    });
    expect(updated).toMatchObject({ externalId: created.externalId, data: { email: "accounts@aminah.my" } });
    const { items } = await all(ctx, "customers");
    expect(items).toHaveLength(4);
    expect(items.find((i) => i.externalId === created.externalId)?.data).toMatchObject({
      email: "accounts@aminah.my",
    });
  });

  it("pushes products by productCode", async () => {
    const { ctx, account } = book();
    await control(account, "products", { count: 2 });
    const created = await push(ctx, "products", { data: { sku: "HUB-1", name: "Hub Widget", price: 12.5 } });
    expect(created).toMatchObject({
      externalId: "HUB-1",
      data: { sku: "HUB-1", name: "Hub Widget", price: 12.5 },
    });
    await push(ctx, "products", {
      externalId: "HUB-1",
      data: { sku: "HUB-1", name: "Hub Widget", price: 14 },
    });
    const { items } = await all(ctx, "products");
    expect(items).toHaveLength(3);
    expect(items.find((i) => i.externalId === "HUB-1")?.data).toMatchObject({
      name: "Hub Widget",
      price: 14,
    });
    await expect(push(ctx, "products", { data: { name: "No code" } })).rejects.toMatchObject({
      kind: "permanent",
    });
  });

  it("pushes invoices: 201 with an empty body and location docNo, then PUT ?docNo=", async () => {
    const { ctx, account } = book({ sales_acc_no: "500-0000" });
    await control(account, "invoices", { count: 2 });
    const data = {
      customer_external_id: code(1),
      issue_date: "2026-11-02",
      lines: [{ description: "Consulting", sku: "SKU-00001", quantity: 2, unit_price: 50 }],
    };
    const created = await push(ctx, "invoices", { data });
    expect(created.externalId).toMatch(/^I-\d{6}$/);
    expect(created.data).toMatchObject({
      number: created.externalId,
      customer_external_id: code(1),
      issue_date: "2026-11-02",
      total: 100,
      lines: [{ description: "Consulting", sku: "SKU-00001", quantity: 2, unit_price: 50, amount: 100 }],
    });
    const stored = await call(
      "GET",
      `/sandbox/_data/autocount/invoices?account=${encodeURIComponent(account)}&created`,
    );
    expect(stored.json.items[0].body.details[0]).toMatchObject({
      accNo: "500-0000",
      productCode: "SKU-00001",
    });

    await push(ctx, "invoices", {
      externalId: created.externalId,
      data: {
        ...data,
        lines: [{ description: "Consulting", sku: "SKU-00001", quantity: 3, unit_price: 50 }],
      },
      current: created.raw,
    });
    const since = new Date(Date.now() - 5000).toISOString();
    const { items } = await all(ctx, "invoices", since);
    expect(items.find((i) => i.externalId === created.externalId)?.data).toMatchObject({ total: 150 });
    await expect(push(ctx, "invoices", { data: { lines: [] } })).rejects.toMatchObject({ kind: "permanent" });
  });
});
