/**
 * GET /api/dashboard: messages and webhooks a day (by status), the latest sync runs, only the
 * organization's own. Days are counted against a clock the test passes in.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createServices } from "../src/services/index.ts";
import {
  call,
  newIntegration,
  newOrg,
  postTelegramUpdate,
  storeQueuedWebhooks,
  stubQueue,
} from "./harness.ts";

const DAY = 86_400_000;

describe("the dashboard", () => {
  it("counts messages and webhooks a day by status, and lists the latest sync runs", async () => {
    const org = await newOrg();
    const jobs = stubQueue();
    const queues = { JOBS: jobs.queue, WEBHOOKS: jobs.queue };
    const secret = "tg-secret_0123456789";
    const bot = await newIntegration(org, {
      provider: "telegram",
      name: "Bot",
      bot_token: "123456:ABCdef",
      webhook_secret: secret,
    });
    for (const text of ["one", "two", "three"]) {
      const r = await call("POST", "/api/messages", {
        key: org.adminKey,
        body: { integration_id: bot.id, to: "100200300", text },
        env: queues,
      });
      expect(r.status, r.text).toBe(202);
    }
    for (let i = 1; i <= 2; i++) await postTelegramUpdate(bot.webhook_url, secret, 900 + i, jobs.queue);
    const services = createServices({ ...env, ...queues } as Env, "req_dashboard");
    await storeQueuedWebhooks(services, jobs.sent);
    const books = await newIntegration(org, {
      provider: "quickbooks",
      name: "Books",
      access_token: "eyJ.dashboard",
      realm_id: "9341453050099999",
      environment: "sandbox",
    });
    const sync = await call("POST", `/api/integrations/${books.id}/sync/customers`, {
      key: org.adminKey,
      env: queues,
    });
    expect(sync.status, sync.text).toBe(202);

    // Three days from now, today is the fourth of the seven days shown.
    const now = Date.now();
    const s = await services.dashboard.summary(org.orgId, 7, now + 3 * DAY);
    const today = new Date(now).toISOString().slice(0, 10);
    expect(s.dates).toHaveLength(7);
    expect(s.dates[3]).toBe(today);
    expect(s.messages.map((d) => d.total)).toEqual([0, 0, 0, 3, 0, 0, 0]);
    expect(s.messages[3]?.by_status).toEqual({ queued: 3 });
    expect(s.webhooks.map((d) => d.total)).toEqual([0, 0, 0, 2, 0, 0, 0]);
    expect(s.webhooks[3]?.by_status).toEqual({ pending: 2 });
    // A week on, they are out of the window.
    const later = await services.dashboard.summary(org.orgId, 7, now + 8 * DAY);
    expect(later.messages.every((d) => d.total === 0)).toBe(true);

    const r = await call("GET", "/api/dashboard", { key: org.memberKey });
    expect(r.status, r.text).toBe(200);
    expect(r.json.days.at(-1)).toBe(today);
    expect(r.json.messages.at(-1)).toEqual({ date: today, total: 3, by_status: { queued: 3 } });
    expect(r.json.sync_runs).toEqual([
      expect.objectContaining({
        id: sync.json.job.id,
        integration_id: books.id,
        integration_name: "Books",
        provider: "quickbooks",
        entity: "customers",
        status: "queued",
      }),
    ]);

    // Another organization sees none of it.
    const other = await newOrg();
    const theirs = await call("GET", "/api/dashboard?days=3", { key: other.memberKey });
    expect(theirs.json.days).toHaveLength(3);
    expect(theirs.json.messages.every((d: { total: number }) => d.total === 0)).toBe(true);
    expect(theirs.json.webhooks.every((d: { total: number }) => d.total === 0)).toBe(true);
    expect(theirs.json.sync_runs).toEqual([]);
    for (const q of ["days=0", "days=32", "days=week"]) {
      const bad = await call("GET", `/api/dashboard?${q}`, { key: org.memberKey });
      expect(bad.status, q).toBe(400);
    }
  });
});
