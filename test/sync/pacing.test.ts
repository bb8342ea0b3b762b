/**
 * Pacing: calls to one provider account share a budget just under the provider's published
 * limit, so the hub answers 429 itself (or the queue retries later) before the provider would.
 * Every test runs on a controlled clock: none depends on where in the wall-clock minute it runs.
 */
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildRequest, type HttpClient, ProviderError, send } from "../../src/providers/runtime.ts";
import type { RateBudget } from "../../src/providers/sync.ts";
import { Connections } from "../../src/services/connections.ts";
import { createServices } from "../../src/services/index.ts";
import { BUDGET_SHARE, Pacer } from "../../src/services/pacing.ts";
import { ApiProxy } from "../../src/services/proxy.ts";
import { call, newIntegration, newOrg } from "../harness.ts";

// The end-to-end cases make 60 proxy requests each through the worker: more than the default
// 5 s on a loaded two-core machine. The clock the budget reads is faked; this bounds only a hang.
vi.setConfig({ testTimeout: 60_000 });

/** A clock the test moves by hand, starting at a given instant. */
function manualClock(start: number) {
  let t = start;
  return {
    now: () => t,
    set: (ms: number) => {
      t = ms;
    },
  };
}

/** 2030-01-01T00:00:00Z: the start of a second, a minute, an hour and a day. */
const T0 = Date.UTC(2030, 0, 1);

const pacer = (now: () => number) => new Pacer(env.PACING, now);

/** The RateBudgets object that holds the budgets of `key`. */
const budgetsOf = (key: string) => env.PACING.get(env.PACING.idFromName(key));

/** `n` calls at once, all on one key: how many were let through, and the waits of the others. */
async function race(p: Pacer, key: string, budgets: RateBudget[], n: number) {
  const waits = await Promise.all(Array.from({ length: n }, () => p.take(key, budgets)));
  return { admitted: waits.filter((w) => w === 0).length, refused: waits.filter((w) => w > 0) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("Pacer", () => {
  it("lets 90% of a window's limit through, then asks to wait until room comes back", async () => {
    const clock = manualClock(T0 + 100);
    const p = pacer(clock.now);
    const budget = [{ limit: 10, windowSeconds: 10 }];
    const allowed = Math.floor(10 * BUDGET_SHARE);
    for (let i = 0; i < allowed; i++) {
      clock.set(T0 + 100 + i);
      expect(await p.take("pace-a", budget)).toBe(0);
    }
    clock.set(T0 + 150);
    const wait = await p.take("pace-a", budget);
    expect(wait).toBeGreaterThan(0);
    // Room comes back when the window ends, 10 s after T0.
    expect(wait).toBe(10_000 - 150 + 10);
    // A refused call is not counted: still refused a moment later, not more.
    clock.set(T0 + 160);
    expect(await p.take("pace-a", budget)).toBe(10_000 - 160 + 10);
    // Budgets are per key: another account is untouched.
    expect(await p.take("pace-b", budget)).toBe(0);
  });

  it("slides: the previous window still counts by its overlap", async () => {
    const clock = manualClock(T0);
    const p = pacer(clock.now);
    const budget = [{ limit: 10, windowSeconds: 10 }];
    for (let i = 0; i < 9; i++) {
      clock.set(T0 + 9_000 + i);
      expect(await p.take("slide", budget)).toBe(0);
    }
    // Just after the window turns over, 9 calls still weigh ~9: no room.
    clock.set(T0 + 10_100);
    expect(await p.take("slide", budget)).toBeGreaterThan(0);
    // Most of the way through the next window, the old calls weigh little.
    clock.set(T0 + 19_000);
    expect(await p.take("slide", budget)).toBe(0);
  });

  it("honours every budget: the tightest one decides", async () => {
    const clock = manualClock(T0 + 5);
    const p = pacer(clock.now);
    const budgets = [
      { limit: 500, windowSeconds: 60 },
      { limit: 3, windowSeconds: 1 },
    ];
    expect(await p.take("multi", budgets)).toBe(0);
    clock.set(T0 + 6);
    expect(await p.take("multi", budgets)).toBe(0);
    clock.set(T0 + 7);
    expect(await p.take("multi", budgets)).toBeGreaterThan(0);
  });

  it("admit fails at once as rate_limited with Retry-After when the budget is spent, and never waits", async () => {
    // The timers are the test's: a call that slept would never come back.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const clock = manualClock(T0 + 3_599_900);
    const p = pacer(clock.now);
    const budget = [{ limit: 2, windowSeconds: 3600 }];
    await p.admit("admit", budget);
    const err = await p.admit("admit", budget).catch((e) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("rate_limited");
    expect(err.opts.code).toBe("BUDGET");
    // 100 ms before the window ends: room in well under a second, still not waited for here.
    expect(err.opts.retryAfterSeconds).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    // Far from the window's end the caller is told how long (3,540 s, and a 10 ms margin).
    clock.set(T0 + 3_600_000 + 60_000);
    await p.admit("admit-late", budget);
    const late = await p.admit("admit-late", budget).catch((e) => e);
    expect(late.opts.retryAfterSeconds).toBe(3541);
  });
});

describe("budgets in a Durable Object per provider account", () => {
  const perSecond = [{ limit: 10, windowSeconds: 1 }];
  const allowed = Math.floor(10 * BUDGET_SHARE);

  it("50 calls at once never exceed the budget: exactly 9 of 10 a second go, the rest are told to wait", async () => {
    const clock = manualClock(T0 + 100);
    const key = `race-${crypto.randomUUID()}`;
    const { admitted, refused } = await race(pacer(clock.now), key, perSecond, 50);
    expect(admitted).toBe(allowed);
    expect(refused).toHaveLength(50 - allowed);
    // Each refused caller is told when the second ends (900 ms later, and a 10 ms margin).
    expect(new Set(refused)).toEqual(new Set([1_000 - 100 + 10]));
  });

  it("separate accounts do not share budgets, even when their calls race each other", async () => {
    const clock = manualClock(T0 + 100);
    const p = pacer(clock.now);
    const [a, b] = [`race-a-${crypto.randomUUID()}`, `race-b-${crypto.randomUUID()}`];
    const [ra, rb] = await Promise.all([race(p, a, perSecond, 50), race(p, b, perSecond, 50)]);
    expect(ra.admitted).toBe(allowed);
    expect(rb.admitted).toBe(allowed);
  });

  it("the budget frees as the window slides", async () => {
    const clock = manualClock(T0 + 100);
    const p = pacer(clock.now);
    const key = `slide-${crypto.randomUUID()}`;
    expect((await race(p, key, perSecond, 50)).admitted).toBe(allowed);
    // Halfway through the next second the 9 calls weigh 4.5: room for 4 more (4.5 + 4 ≤ 9).
    clock.set(T0 + 1_500);
    expect((await race(p, key, perSecond, 50)).admitted).toBe(4);
    // At the start of the second after, only those 4 weigh (fully): room for 5.
    clock.set(T0 + 2_000);
    expect((await race(p, key, perSecond, 50)).admitted).toBe(5);
    // Two seconds on, nothing is left of them: the whole budget again.
    clock.set(T0 + 4_000);
    expect((await race(p, key, perSecond, 50)).admitted).toBe(allowed);
  });

  it("an evicted object reads its counts back: a day's budget is not handed out again", async () => {
    const clock = manualClock(T0 + 60_000);
    const p = pacer(clock.now);
    const key = `evict-${crypto.randomUUID()}`;
    const perDay = [{ limit: 5, windowSeconds: 86_400 }];
    expect((await race(p, key, perDay, 10)).admitted).toBe(Math.floor(5 * BUDGET_SHARE));
    await evictDurableObject(budgetsOf(key));
    clock.set(T0 + 120_000);
    expect(await p.take(key, perDay)).toBe(86_400_000 - 120_000 + 10);
  });
});

/** A Pacer whose budget check does not answer until the test opens the gate. */
class GatedPacer extends Pacer {
  private open!: () => void;
  readonly gate = new Promise<void>((resolve) => {
    this.open = resolve;
  });
  entered = false;
  release() {
    this.open();
  }
  override async take(key: string, budgets: RateBudget[]): Promise<number> {
    this.entered = true;
    await this.gate;
    return super.take(key, budgets);
  }
}

describe("pacing and the provider timeout", () => {
  const ok: HttpClient = async () =>
    Response.json({ Contacts: [] }, { headers: { "content-type": "application/json" } });

  async function setup(http: HttpClient) {
    const org = await newOrg("Pacing timeout");
    const integration = await newIntegration(org, {
      provider: "xero",
      name: "slow pacer",
      access_token: "eyJ.slow-pacer",
      tenant_id: crypto.randomUUID(),
    });
    const services = createServices(env, "req_pacing_timeout");
    const gated = new GatedPacer(env.PACING);
    const connections = new Connections(
      services.db,
      services.activity,
      services.integrations,
      services.events,
      services.settings,
      http,
      services.tokens,
      gated,
    );
    const row = await services.integrations.get(org.orgId, integration.id);
    return { org, row, services, gated, connections };
  }

  /** Lets the fake clock run well past the provider timeout while the pacer holds the call. */
  async function holdPastTimeout(gated: GatedPacer, timeoutMs: number) {
    await vi.waitFor(() => expect(gated.entered).toBe(true));
    await vi.advanceTimersByTimeAsync(timeoutMs * 5);
    gated.release();
  }

  it("send(): a slow budget check is not the provider's time and never becomes a timeout", async () => {
    let sent = 0;
    const { row, gated, connections } = await setup(async (req) => {
      sent++;
      return ok(req);
    });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const ctx = await connections.contextFor(row);
    const pending = send(ctx, buildRequest(ctx, { path: "/api.xro/2.0/Contacts" })).catch((e) => e);
    await holdPastTimeout(gated, ctx.timeoutMs);
    const res = await pending;
    expect(res).not.toBeInstanceOf(Error);
    expect(res.status).toBe(200);
    expect(sent).toBe(1);
  });

  it("proxy: a slow budget check is not the provider's time and never becomes a 504", async () => {
    let sent = 0;
    const { org, row, services, gated, connections } = await setup(async (req) => {
      sent++;
      return ok(req);
    });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const proxy = new ApiProxy(services.activity, services.integrations, connections, "req_pacing_proxy");
    const pending = proxy.forward(org.orgId, row.id, {
      method: "GET",
      path: "/api.xro/2.0/Contacts",
      search: "",
      headers: new Headers(),
    });
    await holdPastTimeout(gated, services.settings.PROVIDER_TIMEOUT_MS);
    const { response } = await pending;
    expect(response.status).toBe(200);
    expect(sent).toBe(1);
  });
});

describe("pacing end to end", () => {
  async function xero(name: string) {
    const org = await newOrg("Pacing");
    const tenant = crypto.randomUUID();
    const integration = await newIntegration(org, {
      provider: "xero",
      name,
      access_token: "eyJ.paced-token",
      tenant_id: tenant,
    });
    const path = `/api/integrations/${integration.id}/proxy/api.xro/2.0/Contacts?page=1`;
    const sentToXero = async () => {
      const stats = await call("GET", "/sandbox/_data/_stats");
      return (stats.json.xero?.byAccount?.[tenant.toLowerCase()] ?? 0) as number;
    };
    return { org, path, sentToXero, key: `xero:${integration.id}` };
  }

  it("the proxy stops at the hub's Xero budget (60 a minute) before Xero answers 429", async () => {
    const { org, path, sentToXero, key } = await xero("paced xero");
    // The hub's clock stands 30 s into a minute for the whole run.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    vi.useFakeTimers({ toFake: ["Date"], now: minute + 30_000 });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 60; i++) {
      const r = await call("GET", path, { key: org.adminKey });
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.json.code).toBe("RATE_LIMITED");
        retryAfter = r.headers.get("retry-after");
      }
    }
    const allowed = Math.floor(60 * BUDGET_SHARE);
    expect(statuses.filter((s) => s === 200).length).toBe(allowed);
    expect(statuses.filter((s) => s === 429).length).toBe(60 - allowed);
    // Room comes back when the minute ends, 30 s later.
    expect(Number(retryAfter)).toBe(31);
    // Xero itself never had to refuse a call of this tenant.
    expect(await sentToXero()).toBe(allowed);
    // The calls were counted by the account's RateBudgets object, and none of them wrote D1
    // (where budgets were once kept, a row per budget rewritten by every call).
    const counts = await runInDurableObject(budgetsOf(key), (_, state) =>
      state.storage.kv.get<[number, { count: number }][]>("counts"),
    );
    expect(new Map(counts).get(60)?.count).toBe(allowed);
    const rows = await env.DB.prepare("select count(*) as n from rate_budgets").first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });

  it("with the budget spent the proxy answers 429 at once with Retry-After: no provider call, no wait", async () => {
    const { org, path, sentToXero } = await xero("spent xero");
    // 300 ms before the minute ends: room is near, but the request still does not wait for it.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    vi.useFakeTimers({ toFake: ["Date"], now: minute + 59_700 });
    const allowed = Math.floor(60 * BUDGET_SHARE);
    for (let i = 0; i < allowed; i++) {
      expect((await call("GET", path, { key: org.adminKey })).status).toBe(200);
    }
    // From here the timers are the test's too: a request that slept would never answer.
    vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"], now: minute + 59_700 });
    const r = await call("GET", path, { key: org.adminKey });
    expect(r.status).toBe(429);
    expect(r.json.code).toBe("RATE_LIMITED");
    expect(r.headers.get("retry-after")).toBe("1");
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
    expect(await sentToXero()).toBe(allowed);
  });
});
