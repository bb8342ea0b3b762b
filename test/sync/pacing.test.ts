/**
 * Pacing: calls to one provider account share a budget just under the provider's published
 * limit, so the hub waits (or answers 429 itself) before the provider would.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client.ts";
import { ProviderError } from "../../src/providers/runtime.ts";
import { BUDGET_SHARE, Pacer } from "../../src/services/pacing.ts";
import { call, newIntegration, newOrg } from "../harness.ts";

const pacer = () => new Pacer(createDb(env.DB));

describe("Pacer", () => {
  it("lets 90% of a window's limit through, then asks to wait until room comes back", async () => {
    const p = pacer();
    const budget = [{ limit: 10, windowSeconds: 10 }];
    const t0 = Math.floor(Date.now() / 10_000) * 10_000 + 100;
    const allowed = Math.floor(10 * BUDGET_SHARE);
    for (let i = 0; i < allowed; i++) expect(await p.take("pace-a", budget, t0 + i)).toBe(0);
    const wait = await p.take("pace-a", budget, t0 + 50);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(10_000);
    // A refused call is not counted: still refused a moment later, not more.
    expect(await p.take("pace-a", budget, t0 + 60)).toBeGreaterThan(0);
    // Budgets are per key: another account is untouched.
    expect(await p.take("pace-b", budget, t0 + 60)).toBe(0);
  });

  it("slides: the previous window still counts by its overlap", async () => {
    const p = pacer();
    const budget = [{ limit: 10, windowSeconds: 10 }];
    const w0 = Math.floor(Date.now() / 10_000) * 10_000 + 20_000;
    for (let i = 0; i < 9; i++) expect(await p.take("slide", budget, w0 + 9_000 + i)).toBe(0);
    // Just after the window turns over, 9 calls still weigh ~9: no room.
    expect(await p.take("slide", budget, w0 + 10_100)).toBeGreaterThan(0);
    // Most of the way through the next window, the old calls weigh little.
    expect(await p.take("slide", budget, w0 + 19_000)).toBe(0);
  });

  it("honours every budget: the tightest one decides", async () => {
    const p = pacer();
    const budgets = [
      { limit: 500, windowSeconds: 60 },
      { limit: 3, windowSeconds: 1 },
    ];
    const t = Math.floor(Date.now() / 60_000) * 60_000 + 5;
    expect(await p.take("multi", budgets, t)).toBe(0);
    expect(await p.take("multi", budgets, t + 1)).toBe(0);
    expect(await p.take("multi", budgets, t + 2)).toBeGreaterThan(0);
  });

  it("a paced client waits for short gaps and fails as rate_limited past the wait it may take", async () => {
    const p = pacer();
    let sent = 0;
    const http = async () => {
      sent++;
      return new Response("ok");
    };
    const client = p.paced(http, "paced-client", [{ limit: 2, windowSeconds: 3600 }], 50);
    await client(new Request("https://provider.test/a"));
    const err = await client(new Request("https://provider.test/b")).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("rate_limited");
    expect(err.opts.retryAfterSeconds).toBeGreaterThan(1);
    expect(sent).toBe(1);
  });
});

describe("pacing end to end", () => {
  it("the proxy stops at the hub's Xero budget (60 a minute) before Xero answers 429", {
    timeout: 60_000,
  }, async () => {
    const org = await newOrg("Pacing");
    const tenant = crypto.randomUUID();
    const integration = await newIntegration(org, {
      provider: "xero",
      name: "paced xero",
      access_token: "eyJ.paced-token",
      tenant_id: tenant,
    });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 60; i++) {
      const r = await call("GET", `/api/integrations/${integration.id}/proxy/api.xro/2.0/Contacts?page=1`, {
        key: org.adminKey,
      });
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.json.code).toBe("RATE_LIMITED");
        retryAfter = r.headers.get("retry-after");
      }
    }
    const sent = statuses.filter((s) => s === 200).length;
    // 54 (90%) in one window; a few more when the run crosses into the next window as it slides.
    expect(sent).toBeGreaterThanOrEqual(Math.floor(60 * BUDGET_SHARE));
    expect(statuses.filter((s) => s === 429).length).toBe(60 - sent);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const stats = await call("GET", "/sandbox/_data/_stats");
    expect(stats.json.xero.byAccount[tenant.toLowerCase()]).toBe(sent);
    // Xero itself never had to refuse a call of this tenant.
    expect(sent).toBeLessThan(60);
  });
});
