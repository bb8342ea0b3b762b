/** Salesforce sync against the simulator: query/queryAll batches, nextRecordsUrl, IsDeleted, errors. */
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import { ProviderError } from "../../src/providers/runtime.ts";
import { provider } from "../../src/providers/salesforce/index.ts";
import { firstQuery } from "../../src/providers/salesforce/sync.ts";
import type { SyncItem } from "../../src/providers/sync.ts";
import { clientAccount, salesforceAccount, salesforceId } from "../../src/sandbox/providers/salesforce.ts";
import { call, newIntegration, newOrg, type TestOrg } from "../harness.ts";
import { allRecords, armFault, syncAndWait } from "./helpers.ts";

let seq = 0;

// Tests that step the clock hand it back to the wall clock when they end.
afterEach(() => {
  vi.useRealTimers();
});
const org = () => `00D5gSYNC${Date.now()}${++seq}`;

const context = (token: string): ProviderContext => ({
  baseUrl: "https://hub.test/sandbox/salesforce",
  config: { instance_url: "https://acme.my.salesforce.com" },
  secrets: { access_token: token },
  http: (req) => exports.default.fetch(req),
  timeoutMs: 5000,
});

const sync = () => {
  const s = provider.sync;
  if (!s) throw new Error("salesforce has no sync");
  return s;
};

async function drain(ctx: ProviderContext, entity: string, since: string | null = null, pageSize = 200) {
  const items: SyncItem[] = [];
  const deleted: string[] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | null = null;
  do {
    const page = await sync().page(ctx, { entity, cursor, since, pageSize });
    items.push(...page.items);
    deleted.push(...(page.deleted ?? []));
    cursor = page.next;
    cursors.push(cursor);
    if (cursors.length > 100) throw new Error("too many pages");
  } while (cursor);
  return { items, deleted, cursors };
}

const control = (entity: string, body: Record<string, unknown>) =>
  call("POST", `/sandbox/_data/salesforce/${entity}`, { body });

describe("salesforce sync", () => {
  it("declares accounts (alias customers), contacts and products with the daily allocation", () => {
    expect(provider.capabilities.sync).toEqual(["accounts", "contacts", "products"]);
    expect(sync().entities.accounts).toMatchObject({ kind: "customer", aliases: ["customers"] });
    expect(provider.rateLimits).toEqual([{ limit: 15000, windowSeconds: 86400 }]);
    expect(firstQuery("contacts", "2026-03-04T05:06:07.890Z")).toMatchObject({
      path: "/services/data/v62.0/queryAll",
      soql: expect.stringMatching(
        / FROM Contact WHERE SystemModstamp > 2026-03-04T05:06:07Z ORDER BY SystemModstamp, Id$/,
      ),
    });
  });

  it("a full pass queries live rows in batches, following nextRecordsUrl", async () => {
    const o = org();
    const token = `${o}!AQ0AQ.sync-session`;
    await control("accounts", { account: salesforceAccount(token), count: 450, remove: 5, purge: 2 });
    const { items, deleted, cursors } = await drain(context(token), "accounts");
    expect(items).toHaveLength(443);
    expect(new Set(items.map((i) => i.externalId)).size).toBe(443);
    expect(deleted).toEqual([]);
    expect(cursors).toHaveLength(3); // 200 + 200 + 43
    expect(cursors[0]).toMatch(/^\/services\/data\/v62\.0\/query\/01g\w+-200$/);
    const first = items.find((i) => i.externalId === salesforceId("001", 1));
    expect(first?.data).toEqual({
      name: "Lee Trading 00001 Sdn Bhd",
      email: null,
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

  it("maps contacts with their account's name and products with the standard price", async () => {
    const token = `${org()}!AQ0AQ.sync-session`;
    const account = salesforceAccount(token);
    await control("contacts", { account, count: 20 });
    await control("products", { account, count: 20 });
    const ctx = context(token);
    const contacts = await drain(ctx, "contacts");
    expect(contacts.items[2]?.data).toMatchObject({
      name: "Dewi Ali 00003",
      email: "dewi.00003@example.com",
      company: "Ali Trading 00003 Sdn Bhd",
    });
    const products = await drain(ctx, "products");
    expect(products.items).toHaveLength(20);
    expect(products.items[0]?.data).toEqual({
      sku: "SKU-00001",
      name: "Gadget 00001",
      description: "Sandbox product SKU-00001",
      price: 1.37,
      currency: null,
    });
  });

  it("an incremental pass uses queryAll: changed rows as items, deleted rows as tombstones", async () => {
    const token = `${org()}!AQ0AQ.sync-session`;
    const account = salesforceAccount(token);
    await control("contacts", { account, count: 150, remove: 2 });
    // SOQL compares whole seconds (since is rounded down): the clock steps past the setup's
    // second instead of the test sleeping through it.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 1100 });
    const since = new Date().toISOString();
    const changed = await control("contacts", { account, touch: 4, remove: 3, purge: 1, create: 2 });
    const { items, deleted } = await drain(context(token), "contacts", since);
    const id = (n: number) => salesforceId("003", n);
    expect(items.map((i) => i.externalId).sort()).toEqual(
      [...changed.json.touched, ...changed.json.created].map(id).sort(),
    );
    expect(deleted.sort()).toEqual(changed.json.removed.map(id).sort());
    expect(items.find((i) => i.externalId === id(1))?.data).toMatchObject({ name: "Ben Lee 00001 v2" });
  });

  it("a 429 is rate_limited with its wait; REQUEST_LIMIT_EXCEEDED is rate_limited, not auth", async () => {
    const ctx = context(`${org()}!AQ0AQ.sync-session`);
    await call("POST", "/sandbox/_data/salesforce/_faults", {
      body: { status: 429, count: 1, retry_after: 9 },
    });
    const limited = await sync()
      .page(ctx, { entity: "accounts", cursor: null, since: null })
      .catch((e) => e);
    expect(limited).toBeInstanceOf(ProviderError);
    expect(limited).toMatchObject({ kind: "rate_limited", opts: { status: 429, retryAfterSeconds: 9 } });

    await call("POST", "/sandbox/_data/salesforce/_faults", { body: { status: 403, count: 1 } });
    const daily = await sync()
      .page(ctx, { entity: "accounts", cursor: null, since: null })
      .catch((e) => e);
    expect(daily).toMatchObject({
      kind: "rate_limited",
      opts: { status: 403, code: "REQUEST_LIMIT_EXCEEDED" },
    });
  });

  it("an invalid session is an auth error; a cursor that is not a nextRecordsUrl is refused", async () => {
    const refused = await sync()
      .page(context("00D5g000004ABCD!invalid-session"), { entity: "products", cursor: null, since: null })
      .catch((e) => e);
    expect(refused).toMatchObject({ kind: "auth", opts: { status: 401, code: "INVALID_SESSION_ID" } });
    const bad = await sync()
      .page(context(`${org()}!x`), { entity: "products", cursor: "https://evil.test/x", since: null })
      .catch((e) => e);
    expect(bad).toMatchObject({ kind: "permanent" });
  });
});

const REDIRECT = "https://app.example.com/oauth/callback";

/** Tokens from the sandbox's Salesforce authorization server (auto-approved), for `clientId`. */
async function sandboxTokens(clientId: string) {
  const q = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: "api refresh_token",
    sandbox_auto: "approve",
  });
  const res = await exports.default.fetch(
    new Request(`https://hub.test/sandbox/salesforce/services/oauth2/authorize?${q}`, { redirect: "manual" }),
  );
  const code = new URL(res.headers.get("location") as string).searchParams.get("code") as string;
  const r = await call("POST", "/sandbox/salesforce/services/oauth2/token", {
    raw: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: clientId,
      client_secret: "secret",
    }).toString(),
    contentType: "application/x-www-form-urlencoded",
  });
  expect(r.status, r.text).toBe(200);
  return r.json as { access_token: string; refresh_token: string; instance_url: string };
}

const oauthStats = async (clientId: string) =>
  (await call("GET", `/sandbox/_oauth/stats?client_id=${encodeURIComponent(clientId)}`)).json as {
    refresh_requests: number;
  };

const sessions = (body: Record<string, unknown>) => call("POST", "/sandbox/salesforce/_sessions", { body });

describe("salesforce sessions", () => {
  let org: TestOrg;
  /** An integration connected through the sandbox's OAuth server with its own client id. */
  async function connected(tag: string) {
    org ??= await newOrg("Salesforce sessions");
    const clientId = `sf-${tag}-${crypto.randomUUID().slice(0, 8)}`;
    const tokens = await sandboxTokens(clientId);
    await control("accounts", { account: clientAccount(clientId), count: 30 });
    const integration = await newIntegration(org, {
      provider: "salesforce",
      name: `Salesforce ${tag}`,
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      instance_url: tokens.instance_url,
      client_id: clientId,
      client_secret: "secret",
    });
    return { clientId, tokens, integration };
  }
  const read = async (id: string) =>
    (await call("GET", `/api/integrations/${id}`, { key: org.adminKey })).json.integration;

  it("INVALID_SESSION_ID refreshes the token and retries once: sync pages, test connection and the proxy", async () => {
    const { clientId, tokens, integration } = await connected("retry");
    expect(tokens.instance_url).toBe("https://hub.test/sandbox/salesforce");
    expect((await syncAndWait(org, integration.id, "accounts")).status).toBe("success");
    expect((await oauthStats(clientId)).refresh_requests).toBe(0);

    // The session ends (an admin logged the user out): the next page is refused, refreshed, retried.
    expect((await sessions({ expire: tokens.access_token })).json.expired).toBe(1);
    const job = await syncAndWait(org, integration.id, "accounts", { full: true });
    expect(job, job.error_message).toMatchObject({ status: "success", records_synced: 30 });
    expect((await oauthStats(clientId)).refresh_requests).toBe(1);
    expect(await allRecords(org, integration.id, "accounts")).toHaveLength(30);
    const logs = await call("GET", `/api/integrations/${integration.id}/logs`, { key: org.adminKey });
    expect(JSON.stringify(logs.json)).toContain("session_expired");

    await sessions({ expire: "all", client_id: clientId });
    const tested = await call("POST", `/api/integrations/${integration.id}/test`, { key: org.adminKey });
    expect(tested.json.ok ?? tested.json.success, tested.text).toBe(true);
    expect((await oauthStats(clientId)).refresh_requests).toBe(2);

    await sessions({ expire: "all", client_id: clientId });
    const proxied = await call(
      "GET",
      `/api/integrations/${integration.id}/proxy/services/data/v62.0/limits`,
      {
        key: org.adminKey,
      },
    );
    expect(proxied.status, proxied.text).toBe(200);
    expect(proxied.json.DailyApiRequests.Max).toBe(15000);
    expect((await oauthStats(clientId)).refresh_requests).toBe(3);
    expect((await read(integration.id)).status).toBe("active");
  }, 30_000);

  it("a second INVALID_SESSION_ID after the refresh fails clearly, after one refresh", async () => {
    const { clientId, integration } = await connected("twice");
    await armFault("salesforce", 401, 2);
    const job = await syncAndWait(org, integration.id, "accounts");
    expect(job.status).toBe("failed");
    expect(job.error_message).toContain("Session expired or invalid");
    expect(job.error_message).toContain("again with the token refreshed just now");
    expect((await oauthStats(clientId)).refresh_requests).toBe(1);
    const row = await read(integration.id);
    expect(row.status).toBe("error");
    expect(row.last_error).toContain("again with the token refreshed just now");
  }, 30_000);

  it("uses the instance_url of the token response, also when a refresh moves it", async () => {
    const { clientId, tokens, integration } = await connected("moved");
    expect((await syncAndWait(org, integration.id, "accounts")).status).toBe("success");
    // The org moves to instance na2: sessions issued from now on are for it; the old one ends.
    await sessions({ instance: "na2", client_id: clientId, expire: tokens.access_token });
    const job = await syncAndWait(org, integration.id, "accounts", { full: true });
    expect(job, job.error_message).toMatchObject({ status: "success", records_synced: 30 });
    const row = await read(integration.id);
    expect(row.config.instance_url).toBe("https://hub.test/sandbox/salesforce/i/na2");
    // Its sessions work only there: the proxy goes to the new instance too.
    const proxied = await call(
      "GET",
      `/api/integrations/${integration.id}/proxy/services/data/v62.0/limits`,
      {
        key: org.adminKey,
      },
    );
    expect(proxied.status, proxied.text).toBe(200);
    expect((await oauthStats(clientId)).refresh_requests).toBe(1);
  }, 30_000);
});
