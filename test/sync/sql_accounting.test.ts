/**
 * SQL Account sync against the simulated API Service: offset paging at 50 per GET, the
 * `lastmodified` range filter (and full scans without it), configurable object paths,
 * deletions left to the sweep, error mapping, and pushes with the `updatecount` rule.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ProviderContext, ProviderError } from "../../src/providers/runtime.ts";
import { signRequest } from "../../src/providers/sql_accounting/client.ts";
import { provider } from "../../src/providers/sql_accounting/index.ts";
import { PAGE_SIZE } from "../../src/providers/sql_accounting/sync.ts";
import type { ProviderSync, SyncItem } from "../../src/providers/sync.ts";
import { RECORD_SCHEMAS } from "../../src/providers/sync.ts";
import { sqlSandboxAccount } from "../../src/sandbox/providers/sql_accounting.ts";
import { BASE, call } from "../harness.ts";

const sync = provider.sync as ProviderSync;
let seq = 0;

/** A fresh simulated account: its own access key, so its own datasets. */
function account(config: Record<string, unknown> = {}) {
  const accessKey = `0123456789abcdef0123456789abcdef.sql.my/SYNC${++seq}${Date.now()}`;
  const ctx: ProviderContext = {
    baseUrl: `${BASE}/sandbox/sql_accounting`,
    config: { access_key: accessKey, ...config },
    secrets: { api_key: "sql-secret-key-not-real" },
    http: (req) => exports.default.fetch(req),
    timeoutMs: 5000,
  };
  return { ctx, account: sqlSandboxAccount(accessKey) };
}

async function control(acct: string, entity: string, body: Record<string, unknown>) {
  const r = await call("POST", `/sandbox/_data/sql_accounting/${entity}`, {
    body: { account: acct, ...body },
  });
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

describe("sql_accounting sync", () => {
  it("declares its entities, rate limit and capabilities", () => {
    expect(Object.keys(sync.entities)).toEqual(["customers", "products", "invoices"]);
    for (const e of Object.values(sync.entities))
      expect(e).toMatchObject({ incremental: true, deletions: "sweep" });
    expect(provider.rateLimits).toEqual([{ limit: 5, windowSeconds: 1 }]);
    expect(provider.capabilities.sync).toEqual(["customers", "products", "invoices"]);
    expect(provider.capabilities.push).toEqual(["customers", "products", "invoices"]);
  });

  it("a full pass pages by offset and maps customers, stock items and invoices", async () => {
    const { ctx, account: acct } = account();
    for (const e of ["customers", "products", "invoices"]) await control(acct, e, { count: 120 });

    const customers = await all(ctx, "customers");
    expect(customers.pages).toBe(3);
    expect(customers.items).toHaveLength(120);
    expect(new Set(customers.items.map((i) => i.externalId)).size).toBe(120);
    const c1 = customers.items[0];
    expect(c1?.externalId).toBe("300-00001");
    expect(c1?.data).toEqual({
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
    expect(c1?.modifiedAt).toBe("2026-01-01T00:00:01.000Z");

    const products = await all(ctx, "stockitems");
    expect(products.items).toHaveLength(120);
    expect(products.items[1]).toMatchObject({
      externalId: "SKU-00002",
      data: { sku: "SKU-00002", name: "Sprocket 00002", price: 1.74, currency: null },
    });

    const invoices = await all(ctx, "invoices");
    expect(invoices.items).toHaveLength(120);
    const inv5 = invoices.items[4];
    expect(inv5).toMatchObject({
      externalId: "5",
      data: {
        number: "IV-00005",
        customer_external_id: "300-00005",
        issue_date: "2026-01-06",
        currency: null,
        total: 5.7,
        status: "void",
        lines: [],
      },
    });
    expect(invoices.items[0]?.data).toMatchObject({ status: "open" });
    expect(invoices.items[2]?.data).toMatchObject({ status: "paid" });
    for (const i of [...customers.items, ...products.items, ...invoices.items]) {
      const kind = i.externalId.startsWith("300-")
        ? "customer"
        : i.externalId.startsWith("SKU")
          ? "product"
          : "invoice";
      expect(RECORD_SCHEMAS[kind].safeParse(i.data).success).toBe(true);
    }
  });

  it("an incremental pass sends the lastmodified range and gets only what changed", async () => {
    const { ctx, account: acct } = account();
    await control(acct, "customers", { count: 120 });
    const since = new Date(Date.now() - 1000).toISOString();
    const changed = await control(acct, "customers", { touch: 3, create: 2, remove: 1, purge: 1 });
    const { items } = await all(ctx, "customers", since);
    const expected = [...changed.touched, ...changed.created].map((n) => `300-${String(n).padStart(5, "0")}`);
    expect(items.map((i) => i.externalId).sort()).toEqual(expected.sort());
    expect(items[0]?.data).toMatchObject({ name: "Ben Lee 00001 v2" });

    // Deletions are absent from full runs (the engine sweeps): 120 + 2 created - 1 removed - 1 purged.
    const full = await all(ctx, "customers");
    expect(full.items).toHaveLength(120);
    const gone = [...changed.removed, ...changed.purged].map((n) => `300-${String(n).padStart(5, "0")}`);
    for (const id of gone) expect(full.items.some((i) => i.externalId === id)).toBe(false);
  });

  it("sync_modified_filter false scans everything even with since", async () => {
    const { ctx, account: acct } = account({ sync_modified_filter: false });
    await control(acct, "products", { count: 60 });
    await control(acct, "products", { touch: 2 });
    const { items } = await all(ctx, "products", new Date(Date.now() - 1000).toISOString());
    expect(items).toHaveLength(60);
    const off = account({ sync_modified_filter: "false" });
    await control(off.account, "products", { count: 10 });
    expect((await all(off.ctx, "products", new Date().toISOString())).items).toHaveLength(10);
  });

  it("uses the configured object paths (invoice_path /customerinvoice)", async () => {
    const { ctx, account: acct } = account({ invoice_path: "customerinvoice" });
    await control(acct, "invoices", { count: 7 });
    expect((await all(ctx, "invoices")).items).toHaveLength(7);
    const broken = account({ customer_path: "/debtor" });
    await expect(
      sync.page(broken.ctx, { entity: "customers", cursor: null, since: null }),
    ).rejects.toMatchObject({
      kind: "permanent",
      opts: { status: 404 },
    });
  });

  it("maps a 429 to rate_limited with Retry-After, 5xx to transient, a refused key to auth", async () => {
    const { ctx, account: acct } = account();
    await control(acct, "customers", { count: 5 });
    await call("POST", "/sandbox/_data/sql_accounting/_faults", {
      body: { status: 429, count: 1, retry_after: 7 },
    });
    const limited = await sync.page(ctx, { entity: "customers", cursor: null, since: null }).catch((e) => e);
    expect(limited).toBeInstanceOf(ProviderError);
    expect(limited).toMatchObject({ kind: "rate_limited", opts: { status: 429, retryAfterSeconds: 7 } });
    await call("POST", "/sandbox/_data/sql_accounting/_faults", { body: { status: 503, count: 1 } });
    await expect(sync.page(ctx, { entity: "customers", cursor: null, since: null })).rejects.toMatchObject({
      kind: "transient",
    });
    const bad = {
      ...ctx,
      config: { ...ctx.config, access_key: "0123456789abcdef0123456789abcdef.sql.my/INVALID" },
    };
    await expect(sync.page(bad, { entity: "customers", cursor: null, since: null })).rejects.toMatchObject({
      kind: "auth",
      message: "SQL Account: The security token included in the request is invalid (HTTP 403)",
    });
  });

  it("pushes customers: create with a new code, update by code; both come back in a list", async () => {
    const { ctx, account: acct } = account();
    await control(acct, "customers", { count: 3 });
    const push = sync.push as NonNullable<ProviderSync["push"]>;
    const created = await push(ctx, "customers", {
      data: {
        name: "Siti Aminah",
        email: "siti@example.com",
        company: "Aminah Foods Sdn Bhd",
        phone: "+60123456789",
      },
    });
    expect(created.externalId).toMatch(/^HB[A-Z0-9]{8}$/);
    expect(created.data).toMatchObject({
      name: "Siti Aminah",
      company: "Aminah Foods Sdn Bhd",
      email: "siti@example.com",
    });
    const updated = await push(ctx, "customers", {
      externalId: created.externalId,
      data: { name: "Siti Aminah", email: "siti@aminah.my", company: "Aminah Foods Sdn Bhd" },
      current: created.raw,
    });
    expect(updated.externalId).toBe(created.externalId);
    const { items } = await all(ctx, "customers");
    expect(items).toHaveLength(4);
    expect(items.find((i) => i.externalId === created.externalId)?.data).toMatchObject({
      email: "siti@aminah.my",
    });
  });

  it("pushes stock items: update goes to the numeric dockey", async () => {
    const { ctx, account: acct } = account();
    await control(acct, "products", { count: 2 });
    const push = sync.push as NonNullable<ProviderSync["push"]>;
    const created = await push(ctx, "products", { data: { sku: "HUB-1", name: "Hub Widget", price: 12.5 } });
    expect(created).toMatchObject({
      externalId: "HUB-1",
      data: { sku: "HUB-1", name: "Hub Widget", price: 12.5 },
    });
    // Created items get the next index the dataset hands out.
    expect((created.raw as { dockey: number }).dockey).toBeGreaterThan(2);
    await push(ctx, "products", {
      externalId: "HUB-1",
      data: { sku: "HUB-1", name: "Hub Widget", price: 14 },
      current: created.raw,
    });
    const { items } = await all(ctx, "products");
    expect(items.find((i) => i.externalId === "HUB-1")?.data).toMatchObject({ price: 14 });
    await expect(
      push(ctx, "products", { externalId: "HUB-1", data: { name: "No dockey" }, current: {} }),
    ).rejects.toMatchObject({ kind: "permanent" });
  });

  it("pushes invoices with lines; an update needs updatecount + 1", async () => {
    const { ctx, account: acct } = account();
    await control(acct, "invoices", { count: 2 });
    const push = sync.push as NonNullable<ProviderSync["push"]>;
    const data = {
      customer_external_id: "300-00001",
      issue_date: "2026-11-02",
      lines: [{ description: "Consulting", sku: "SKU-00001", quantity: 2, unit_price: 50 }],
    };
    const created = await push(ctx, "invoices", { data });
    const key = created.externalId;
    const number = `IV-${key.padStart(5, "0")}`;
    expect(created.data).toMatchObject({
      number,
      customer_external_id: "300-00001",
      issue_date: "2026-11-02",
    });
    const stored = await call(
      "GET",
      `/sandbox/_data/sql_accounting/invoices?account=${encodeURIComponent(acct)}&created`,
    );
    expect(stored.json.items[0].body.sdsdocdetail).toEqual([
      { description: "Consulting", qty: 2, itemcode: "SKU-00001", unitprice: 50 },
    ]);

    // A stale updatecount is refused the way SQL refuses it.
    const stale = { ...(created.raw as Record<string, unknown>), updatecount: 0 };
    await expect(
      push(ctx, "invoices", { externalId: key, data: { ...data, number }, current: stale }),
    ).rejects.toMatchObject({
      kind: "permanent",
      message: "SQL Account: Record has been changed by another user (HTTP 400)",
    });

    const updated = await push(ctx, "invoices", {
      externalId: key,
      data: { ...data, number, due_date: "2026-12-02" },
      current: created.raw,
    });
    expect(updated.data).toMatchObject({ due_date: "2026-12-02" });
    const { items } = await all(ctx, "invoices");
    expect(items).toHaveLength(3);
    expect(items[2]).toMatchObject({ externalId: key, data: { number, due_date: "2026-12-02" } });
  });

  it("refuses an invoice without a customer; the simulator fails on an empty body", async () => {
    const { ctx } = account();
    const push = sync.push as NonNullable<ProviderSync["push"]>;
    await expect(push(ctx, "invoices", { data: { lines: [] } })).rejects.toMatchObject({ kind: "permanent" });
    const req = new Request(`${BASE}/sandbox/sql_accounting/customer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    const signed = await signRequest(req, {
      accessKey: String(ctx.config.access_key),
      secretKey: "sql-secret-key-not-real",
      region: "ap-southeast-5",
      service: "sqlaccount",
    });
    const res = await exports.default.fetch(signed);
    expect(res.status).toBe(500);
  });
});
