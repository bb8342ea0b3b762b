/** HubSpot sync against the simulator: list and archived phases, search with since, errors. */
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { provider } from "../../src/providers/hubspot/index.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import { ProviderError } from "../../src/providers/runtime.ts";
import type { SyncItem } from "../../src/providers/sync.ts";
import { hubspotAccount } from "../../src/sandbox/providers/hubspot.ts";
import { call } from "../harness.ts";

let seq = 0;

// Tests that step the clock hand it back to the wall clock when they end.
afterEach(() => {
  vi.useRealTimers();
});
const token = () => `pat-na1-sync-${Date.now()}-${++seq}`;

const context = (tok: string): ProviderContext => ({
  baseUrl: "https://hub.test/sandbox/hubspot",
  config: {},
  secrets: { private_app_token: tok },
  http: (req) => exports.default.fetch(req),
  timeoutMs: 5000,
});

const sync = () => {
  const s = provider.sync;
  if (!s) throw new Error("hubspot has no sync");
  return s;
};

async function drain(ctx: ProviderContext, entity: string, since: string | null = null) {
  const items: SyncItem[] = [];
  const deleted: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await sync().page(ctx, { entity, cursor, since, pageSize: 100 });
    items.push(...page.items);
    deleted.push(...(page.deleted ?? []));
    cursor = page.next;
    if (++pages > 100) throw new Error("too many pages");
  } while (cursor);
  return { items, deleted, pages };
}

const control = (entity: string, body: Record<string, unknown>) =>
  call("POST", `/sandbox/_data/hubspot/${entity}`, { body });

describe("hubspot sync", () => {
  it("declares its entities, aliases and the ten-second rate limit", () => {
    expect(provider.capabilities.sync).toEqual(["contacts", "companies", "products", "invoices"]);
    expect(sync().entities.contacts).toMatchObject({ kind: "customer", aliases: ["customers"] });
    expect(provider.rateLimits).toEqual([{ limit: 100, windowSeconds: 10 }]);
  });

  it("a full pass lists every live contact once, then the archived ones as tombstones", async () => {
    const tok = token();
    const account = hubspotAccount(tok);
    await control("contacts", { account, count: 250, remove: 3, purge: 2 });
    const { items, deleted, pages } = await drain(context(tok), "contacts");
    expect(items).toHaveLength(245);
    expect(new Set(items.map((i) => i.externalId)).size).toBe(245);
    // remove soft-deletes the last three (archived); purge then drops the two before them.
    expect(deleted).toEqual(["248", "249", "250"]);
    expect(pages).toBe(4); // 100 + 100 + 45 live, then one archived page
    const first = items.find((i) => i.externalId === "1");
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

  it("maps companies, products and invoices (with the invoice's contact)", async () => {
    const tok = token();
    const account = hubspotAccount(tok);
    for (const entity of ["companies", "products", "invoices"]) await control(entity, { account, count: 30 });
    const ctx = context(tok);
    const companies = await drain(ctx, "companies");
    expect(companies.items).toHaveLength(30);
    expect(companies.items[1]?.data).toMatchObject({ name: "Wong Trading 00002 Sdn Bhd", email: null });
    const products = await drain(ctx, "products");
    expect(products.items[0]?.data).toEqual({
      sku: "SKU-00001",
      name: "Gadget 00001",
      description: "Sandbox product SKU-00001",
      price: 1.37,
      currency: null,
    });
    const invoices = await drain(ctx, "invoices");
    expect(invoices.items[4]?.data).toEqual({
      number: "INV-00005",
      customer_external_id: "5",
      issue_date: "2026-01-06",
      due_date: "2026-02-05",
      currency: "USD",
      total: 5.7,
      status: "void",
      lines: [],
    });
  });

  it("an incremental pass searches what changed since and reports what was archived since", async () => {
    const tok = token();
    const account = hubspotAccount(tok);
    await control("contacts", { account, count: 120, remove: 1 });
    // The changes come strictly after the setup: the clock steps on rather than the test sleeping.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 10 });
    const since = new Date().toISOString();
    const changed = await control("contacts", { account, touch: 3, remove: 2, create: 1 });
    const { items, deleted } = await drain(context(tok), "customers", since);
    expect(items.map((i) => i.externalId).sort()).toEqual(
      [...changed.json.touched, ...changed.json.created].map(String).sort(),
    );
    expect(items.find((i) => i.externalId === "1")?.data).toMatchObject({ name: "Ben Lee 00001 v2" });
    expect(deleted.sort()).toEqual(changed.json.removed.map(String).sort());
  });

  it("a search past 10,000 results slides the window instead of paging deeper", async () => {
    const tok = token();
    const account = hubspotAccount(tok);
    await control("products", { account, count: 10_300 });
    const ctx = context(tok);
    let cursor: string | null = null;
    const seen = new Set<string>();
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    for (let i = 0; i < 52; i++) {
      const page = await sync().page(ctx, { entity: "products", cursor, since: "2025-12-31T00:00:00Z" });
      for (const item of page.items) seen.add(item.externalId);
      cursor = page.next;
      if (!cursor || JSON.parse(cursor).p === "archived") break;
      // Stay under the Search API's 5 calls a second: the clock moves a second every 4 calls.
      if (i % 4 === 3) vi.setSystemTime(Date.now() + 1000);
    }
    expect(seen.size).toBe(10_300);
  }, 30_000);

  it("a 429 is rate_limited with its wait; a refused token is an auth error", async () => {
    const ctx = context(token());
    await call("POST", "/sandbox/_data/hubspot/_faults", { body: { status: 429, count: 1, retry_after: 7 } });
    const limited = await sync()
      .page(ctx, { entity: "contacts", cursor: null, since: null })
      .catch((e) => e);
    expect(limited).toBeInstanceOf(ProviderError);
    expect(limited).toMatchObject({ kind: "rate_limited", opts: { status: 429, retryAfterSeconds: 7 } });

    const refused = await sync()
      .page(context("pat-na1-invalid-0000"), {
        entity: "contacts",
        cursor: null,
        since: "2026-01-01T00:00:00Z",
      })
      .catch((e) => e);
    expect(refused).toMatchObject({ kind: "auth", opts: { status: 401 } });
  });

  it("the simulator's ten-second window answers HubSpot's 429 body, waited out as 10 s", async () => {
    const ctx = context(token());
    let err: unknown;
    for (let i = 0; i < 101 && !err; i++) {
      err = await sync()
        .page(ctx, { entity: "companies", cursor: null, since: null, pageSize: 1 })
        .then(() => undefined)
        .catch((e) => e);
    }
    expect(err).toMatchObject({ kind: "rate_limited", opts: { retryAfterSeconds: 10, code: "RATE_LIMIT" } });
  });
});
