/** Odoo sync against the simulator: search_read pages by write_date, domains, sweeps, errors. */
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { provider } from "../../src/providers/odoo_crm/index.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import { ProviderError } from "../../src/providers/runtime.ts";
import type { SyncItem } from "../../src/providers/sync.ts";
import { odooAccount } from "../../src/sandbox/providers/odoo_crm.ts";
import { call } from "../harness.ts";

let seq = 0;

// Tests that step the clock hand it back to the wall clock when they end.
afterEach(() => {
  vi.useRealTimers();
});
const database = () => `sync${Date.now()}x${++seq}`;

const context = (db: string, apiKey = "0123456789abcdef0123456789abcdef01234567"): ProviderContext => ({
  baseUrl: "https://hub.test/sandbox/odoo_crm",
  config: { database: db, username: "admin@example.com" },
  secrets: { api_key: apiKey },
  http: (req) => exports.default.fetch(req),
  timeoutMs: 5000,
});

const sync = () => {
  const s = provider.sync;
  if (!s) throw new Error("odoo_crm has no sync");
  return s;
};

async function drain(
  ctx: ProviderContext,
  entity: string,
  opts: { since?: string | null; pageSize?: number; afterFirst?: () => Promise<unknown> } = {},
) {
  const items: SyncItem[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await sync().page(ctx, {
      entity,
      cursor,
      since: opts.since ?? null,
      pageSize: opts.pageSize,
    });
    expect(page.deleted ?? []).toEqual([]);
    items.push(...page.items);
    cursor = page.next;
    if (++pages === 1) await opts.afterFirst?.();
    if (pages > 200) throw new Error("too many pages");
  } while (cursor);
  return { items, pages };
}

const control = (entity: string, body: Record<string, unknown>) =>
  call("POST", `/sandbox/_data/odoo_crm/${entity}`, { body });

const ids = (items: SyncItem[]) => items.map((i) => Number(i.externalId));
const range = (n: number, skip: (i: number) => boolean = () => false) =>
  Array.from({ length: n }, (_, i) => i + 1).filter((i) => !skip(i));

describe("odoo_crm sync", () => {
  it("declares sweep entities with the polite default rate", () => {
    expect(provider.capabilities.sync).toEqual(["customers", "products", "invoices"]);
    expect(sync().entities.customers).toMatchObject({ aliases: ["partners"], deletions: "sweep" });
    expect(provider.rateLimits).toEqual([{ limit: 10, windowSeconds: 1 }]);
  });

  it("a full pass reads every customer partner once (vendors left out by the domain)", async () => {
    const db = database();
    await control("customers", { account: odooAccount(db), count: 120, remove: 2, purge: 1 });
    const { items, pages } = await drain(context(db), "partners", { pageSize: 50 });
    // 117 left; every 20th partner is a vendor only.
    expect(ids(items)).toEqual(range(117, (i) => i % 20 === 0));
    expect(pages).toBe(3);
    expect(items[0]?.data).toEqual({
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
    expect(items[0]?.modifiedAt).toBe("2026-01-01T00:00:01.000Z");
  });

  it("maps products and customer invoices (credit notes negative, drafts unnumbered)", async () => {
    const db = database();
    await control("products", { account: odooAccount(db), count: 10 });
    await control("invoices", { account: odooAccount(db), count: 50 });
    const ctx = context(db);
    const products = await drain(ctx, "products");
    expect(products.items[0]?.data).toEqual({
      sku: "SKU-00001",
      name: "Gadget 00001",
      description: "Sandbox product SKU-00001",
      price: 1.37,
      currency: "USD",
    });
    const invoices = await drain(ctx, "invoices");
    // Vendor bills (every 25th move) are not out_invoice/out_refund.
    expect(ids(invoices.items)).toEqual(range(50, (i) => i % 25 === 0));
    const byId = (n: number) => invoices.items.find((i) => i.externalId === String(n))?.data;
    expect(byId(3)).toEqual({
      number: "INV/2026/00003",
      customer_external_id: "3",
      issue_date: "2026-01-04",
      due_date: "2026-02-03",
      currency: "USD",
      total: 8.44,
      status: "paid",
      lines: [],
    });
    expect(byId(4)).toMatchObject({ number: null, status: "draft", issue_date: null });
    expect(byId(5)).toMatchObject({ status: "void" });
    expect(byId(20)).toMatchObject({ number: "RINV/2026/00020", total: -8.4, status: "open" });
  });

  it("an incremental pass reads only what changed since; deleted ones are simply absent", async () => {
    const db = database();
    const account = odooAccount(db);
    await control("customers", { account, count: 80 });
    // write_date compares in whole seconds (since is rounded down): the clock steps past the
    // setup's second instead of the test sleeping through it.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 1100 });
    const since = new Date().toISOString();
    const changed = await control("customers", { account, touch: 3, remove: 2, purge: 1, create: 2 });
    const { items } = await drain(context(db), "customers", { since });
    expect(ids(items).sort((a, b) => a - b)).toEqual([...changed.json.touched, ...changed.json.created]);
    expect(items.find((i) => i.externalId === "2")?.data).toMatchObject({ name: "Chen Wong 00002 v2" });
  });

  it("records changed mid-run or sharing one write_date are neither skipped nor repeated", async () => {
    const db = database();
    const account = odooAccount(db);
    await control("customers", { account, count: 60 });
    // 25 records written in the same instant, read 7 at a time.
    await control("customers", { account, touch: 25 });
    const tied = await drain(context(db), "customers", { pageSize: 7 });
    expect(ids(tied.items).sort((a, b) => a - b)).toEqual(range(60, (i) => i % 20 === 0));
    // Records already read change during the run: they come again at the end, nothing is lost.
    const moved = await drain(context(db), "customers", {
      pageSize: 10,
      afterFirst: () => control("customers", { account, touch: 2 }),
    });
    const seen = new Set(ids(moved.items));
    expect([...seen].sort((a, b) => a - b)).toEqual(range(60, (i) => i % 20 === 0));
  });

  it("a 429 is rate_limited with its wait; a refused key is an auth error", async () => {
    const db = database();
    await call("POST", "/sandbox/_data/odoo_crm/_faults", {
      body: { status: 429, count: 1, retry_after: 4 },
    });
    const limited = await sync()
      .page(context(db), { entity: "products", cursor: null, since: null })
      .catch((e) => e);
    expect(limited).toBeInstanceOf(ProviderError);
    expect(limited).toMatchObject({ kind: "rate_limited", opts: { status: 429, retryAfterSeconds: 4 } });

    const bad = "invalid0123456789abcdef0123456789abcdef";
    const refused = await sync()
      .page(context(db, bad), { entity: "products", cursor: null, since: null })
      .catch((e) => e);
    expect(refused).toMatchObject({
      kind: "auth",
      message: `Odoo: wrong login or API key for database "${db}"`,
    });
    // A key revoked mid-run: execute_kw answers AccessDenied.
    const denied = await sync()
      .page(context(db, bad), { entity: "products", cursor: JSON.stringify({ uid: 2 }), since: null })
      .catch((e) => e);
    expect(denied).toMatchObject({ kind: "auth", opts: { code: "odoo.exceptions.AccessDenied" } });
  });
});
