/**
 * Webhook ingestion end to end: the per-integration URL and the 003 form, signatures refused
 * with nothing stored, the 256 KiB limit, duplicates stored and processed once, processing on
 * the real queue (inbound messages recorded), a crashed consumer's lease taken over without a
 * second effect, and the webhook logs read back per provider and per integration.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import {
  ADMIN_TOKEN,
  apiDocument,
  call,
  eventually,
  newIntegration,
  newOrg,
  stubQueue,
  type TestOrg,
} from "../harness.ts";

const SECRET = "tg-secret_0123456789";

async function telegramBot(org: TestOrg, secret: string | null = SECRET) {
  return newIntegration(org, {
    provider: "telegram",
    name: `Bot ${Math.random()}`,
    bot_token: "123456:ABCdef_ghi-jkl",
    ...(secret ? { webhook_secret: secret } : {}),
  });
}

let updateId = 500_000;
const update = (text = "hi", id = ++updateId) =>
  JSON.stringify({
    update_id: id,
    message: { message_id: id, chat: { id: 4242, type: "private" }, date: 1_700_000_000, text },
  });

/** Posts to a webhook URL of the hub (absolute, as the integration shows it). */
function post(url: string, body: string, headers: Record<string, string> = {}) {
  const u = new URL(url);
  return call("POST", `${u.pathname}${u.search}`, {
    raw: body,
    contentType: "application/json",
    headers,
  });
}

const signed = (secret = SECRET) => ({ "x-telegram-bot-api-secret-token": secret });

async function events(org: TestOrg, integrationId: string, query = "") {
  const r = await call("GET", `/api/integrations/${integrationId}/webhook-events${query}`, {
    key: org.adminKey,
  });
  expect(r.status).toBe(200);
  return r.json.events as Record<string, unknown>[];
}

/** Polls until every event of the integration is processed (the real queue runs them). */
async function processed(org: TestOrg, integrationId: string, count: number, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const all = await events(org, integrationId);
    if (all.length >= count && all.every((e) => e.status === "processed" || e.status === "failed"))
      return all;
    if (Date.now() > until) throw new Error(`events not processed: ${JSON.stringify(all)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function inbound(org: TestOrg, integrationId: string) {
  const r = await call("GET", `/api/messages?direction=inbound&integration_id=${integrationId}`, {
    key: org.adminKey,
  });
  expect(r.status).toBe(200);
  return r.json.messages as Record<string, unknown>[];
}

describe("receiving at the integration's URL", () => {
  it("the integration shows its webhook URL; a signed update is stored, answered 200 and processed", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    expect(bot.webhook_url).toBe(`https://hub.test/webhooks/telegram/${bot.id}`);
    const r = await post(bot.webhook_url, update("hello hub"), signed());
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ received: true });
    const [event] = await processed(org, bot.id, 1);
    expect(event).toMatchObject({
      organization_id: org.orgId,
      integration_id: bot.id,
      provider: "telegram",
      event_type: "message",
      processed: true,
      status: "processed",
      result: expect.objectContaining({ messages_received: 1 }),
    });
    const [msg] = await inbound(org, bot.id);
    expect(msg).toMatchObject({
      direction: "inbound",
      status: "received",
      channel: "telegram",
      from: "4242",
      text: "hello hub",
    });
  });

  it("a wrong, missing or unconfigured secret is refused with 401 and nothing is stored", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    const wrong = await post(bot.webhook_url, update(), signed("not-the-secret"));
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({
      code: "UNAUTHORIZED",
      error: expect.stringContaining("secret token does not match"),
    });
    const missing = await post(bot.webhook_url, update(), {});
    expect(missing.status).toBe(401);
    expect(await events(org, bot.id)).toEqual([]);

    // No secret configured: fail closed, and the integration says why.
    const open = await telegramBot(org, null);
    const refused = await post(open.webhook_url, update(), signed("anything"));
    expect(refused.status).toBe(401);
    expect(await events(org, open.id)).toEqual([]);
    const shown = await call("GET", `/api/integrations/${open.id}`, { key: org.adminKey });
    expect(shown.json.integration.last_error).toMatch(/no webhook secret token is configured/);
  });

  it("a changed secret takes effect at once", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    expect((await post(bot.webhook_url, update(), signed())).status).toBe(200);
    await call("PATCH", `/api/integrations/${bot.id}`, {
      key: org.adminKey,
      body: { webhook_secret: "rotated-secret" },
    });
    expect((await post(bot.webhook_url, update(), signed())).status).toBe(401);
    expect((await post(bot.webhook_url, update(), signed("rotated-secret"))).status).toBe(200);
  });

  it("ten identical deliveries store one event and process it once", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    const body = update("only once");
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => post(bot.webhook_url, body, signed())),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    // The copies reach the consumer in different batches: each finds the first and is counted.
    const [event, ...rest] = await eventually(
      () => processed(org, bot.id, 1),
      (all) => all[0]?.duplicates === 9,
    );
    expect(rest).toEqual([]);
    expect(event).toMatchObject({ duplicates: 9, attempts: 1 });
    expect(await inbound(org, bot.id)).toHaveLength(1);
  });

  it("an unknown integration, another provider's path or a malformed id is 404", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    expect((await post(`https://hub.test/webhooks/twilio/${bot.id}`, update(), signed())).status).toBe(404);
    expect(
      (
        await post(
          "https://hub.test/webhooks/telegram/0190a000-0000-7000-8000-000000000000",
          update(),
          signed(),
        )
      ).status,
    ).toBe(404);
    expect((await post("https://hub.test/webhooks/telegram/not-an-id", update(), signed())).status).toBe(404);
    expect((await post(`https://hub.test/webhooks/nope/${bot.id}`, update(), signed())).status).toBe(400);
  });

  it("a body over 256 KiB is 413 and stores nothing", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    const r = await post(bot.webhook_url, update("x".repeat(300 * 1024)), signed());
    expect(r.status).toBe(413);
    expect(r.json.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await events(org, bot.id)).toEqual([]);
  });

  it("a GET is a delivery like any other where the provider has no URL check: unsigned, it is refused", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    const r = await call("GET", new URL(bot.webhook_url).pathname);
    expect(r.status).toBe(401);
    expect(await events(org, bot.id)).toEqual([]);
  });

  it("an organization deleted by another isolate: a delivery this isolate still takes is dropped by the consumer, never stored", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    // The first delivery caches the integration and its secrets in this isolate.
    expect((await post(bot.webhook_url, update("before"), signed())).status).toBe(200);
    await processed(org, bot.id, 1);
    // Deleted elsewhere: this isolate's cache does not hear of it (for up to its 30 s).
    await env.DB.prepare("delete from organizations where id = ?").bind(org.orgId).run();
    const jobs = stubQueue();
    const u = new URL(bot.webhook_url);
    const r = await call("POST", u.pathname, {
      raw: update("after"),
      contentType: "application/json",
      headers: signed(),
      env: { JOBS: jobs.queue, WEBHOOKS: jobs.queue },
    });
    expect(r.status).toBe(200);
    const [message] = jobs.sent;
    expect(message).toMatchObject({ type: "webhook.ingest", orgId: org.orgId });
    const batch = createMessageBatch("switchboard-jobs-development", [
      { id: "m-orphan", timestamp: new Date(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect(await getQueueResult(batch, ctx)).toMatchObject({ explicitAcks: ["m-orphan"], retryMessages: [] });
    const left = await env.DB.prepare("select count(*) as n from webhook_events where integration_id = ?")
      .bind(bot.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("after its organization is deleted here, its webhook URLs answer 404 at once", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    expect((await post(bot.webhook_url, update("before"), signed())).status).toBe(200);
    await processed(org, bot.id, 1);
    expect(
      (await call("DELETE", `/admin/organizations/${org.orgId}`, { key: ADMIN_TOKEN })).status,
    ).toBeLessThan(300);
    const r = await post(bot.webhook_url, update("after"), signed());
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("the 003 form", () => {
  it("POST /api/integrations/{provider}/webhook takes integration_id or org_id, without an API key", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    const byId = await post(
      `https://hub.test/api/integrations/telegram/webhook?integration_id=${bot.id}`,
      update(),
      signed(),
    );
    expect(byId.status).toBe(200);
    const byOrg = await post(
      `https://hub.test/api/integrations/telegram/webhook?org_id=${org.orgId}`,
      update(),
      signed(),
    );
    expect(byOrg.status).toBe(200);
    const neither = await post("https://hub.test/api/integrations/telegram/webhook", update(), signed());
    expect(neither.status).toBe(400);
    expect(neither.json.issues[0].path).toBe("integration_id");
    await processed(org, bot.id, 2);
  });

  it("webhook-logs lists a provider's events, filtered by processed state and type, for the key's organization only", async () => {
    const org = await newOrg();
    const other = await newOrg();
    const bot = await telegramBot(org);
    await post(bot.webhook_url, update("one"), signed());
    await post(bot.webhook_url, update("two"), signed());
    await processed(org, bot.id, 2);
    const logs = await call("GET", "/api/integrations/telegram/webhook-logs?processed=true", {
      key: org.memberKey,
    });
    expect(logs.status).toBe(200);
    expect(logs.json.logs).toHaveLength(2);
    expect(logs.json.logs[0]).toMatchObject({ provider: "telegram", processed: true, event_type: "message" });
    const none = await call("GET", "/api/integrations/telegram/webhook-logs?processed=false", {
      key: org.adminKey,
    });
    expect(none.json.logs).toEqual([]);
    const byType = await call("GET", "/api/integrations/telegram/webhook-logs?type=callback_query", {
      key: org.adminKey,
    });
    expect(byType.json.logs).toEqual([]);
    const paged = await call("GET", "/api/integrations/telegram/webhook-logs?limit=1", { key: org.adminKey });
    expect(paged.json.logs).toHaveLength(1);
    const next = await call(
      "GET",
      `/api/integrations/telegram/webhook-logs?limit=1&cursor=${paged.json.next_cursor}`,
      {
        key: org.adminKey,
      },
    );
    expect(next.json.logs[0].id).not.toBe(paged.json.logs[0].id);
    const foreign = await call("GET", "/api/integrations/telegram/webhook-logs", { key: other.adminKey });
    expect(foreign.json.logs).toEqual([]);
    const foreignOne = await call("GET", `/api/integrations/${bot.id}/webhook-events`, {
      key: other.adminKey,
    });
    expect(foreignOne.status).toBe(404);
    const bad = await call("GET", "/api/integrations/telegram/webhook-logs?processed=maybe", {
      key: org.adminKey,
    });
    expect(bad.status).toBe(400);
  });
});

describe("processing on the queue", () => {
  /** Runs the jobs consumer on one queue delivery; what it enqueues goes to `jobs`. */
  async function consume(body: unknown, jobs = stubQueue()) {
    const id = `q-${Math.random()}`;
    const batch = createMessageBatch("switchboard-jobs", [{ id, timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, JOBS: jobs.queue }, ctx);
    return getQueueResult(batch, ctx);
  }

  it("a consumer that died holding the lease is taken over after it runs out, and nothing is done twice", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    await post(bot.webhook_url, update("crash"), signed());
    const [event] = await processed(org, bot.id, 1);
    const eventId = String(event?.id);
    // As if a consumer had leased it, done its work and died before marking it processed.
    await env.DB.prepare("UPDATE webhook_events SET status = 'processing', lease_until = ? WHERE id = ?")
      .bind(Date.now() + 60_000, eventId)
      .run();
    // Held by that consumer: this delivery is acknowledged, and a new message names the event
    // for when the lease runs out; nothing is done and no attempt is counted.
    const later = stubQueue();
    const held = await consume({ type: "webhook.process", orgId: org.orgId, eventIds: [eventId] }, later);
    expect(held.explicitAcks).toHaveLength(1);
    expect(later.sent).toEqual([{ type: "webhook.process", orgId: org.orgId, eventIds: [eventId] }]);
    expect(later.delays[0]).toBeGreaterThanOrEqual(60);
    expect(await events(org, bot.id)).toMatchObject([{ status: "processing", attempts: 1 }]);
    await env.DB.prepare("UPDATE webhook_events SET lease_until = ? WHERE id = ?")
      .bind(Date.now() - 1, eventId)
      .run();
    const taken = await consume({ type: "webhook.process", orgId: org.orgId, eventIds: [eventId] });
    expect(taken.explicitAcks).toHaveLength(1);
    const again = await consume({ type: "webhook.process", orgId: org.orgId, eventIds: [eventId] });
    expect(again.explicitAcks).toHaveLength(1);
    const [after] = await events(org, bot.id);
    expect(after).toMatchObject({ status: "processed", attempts: 2 });
    expect(await inbound(org, bot.id)).toHaveLength(1);
  });

  it("a batch of events is processed once each even when the queue delivers the batch twice", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    for (let i = 0; i < 5; i++) await post(bot.webhook_url, update(`batch ${i}`), signed());
    const stored = await processed(org, bot.id, 5);
    const bodies = stored.map((e) => ({
      type: "webhook.process",
      orgId: org.orgId,
      eventIds: [String(e.id)],
    }));
    const batch = createMessageBatch(
      "switchboard-jobs",
      bodies.map((body, i) => ({
        id: `dup-${i}-${Math.random()}`,
        timestamp: new Date(),
        attempts: 2,
        body,
      })),
    );
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toHaveLength(5);
    expect(await inbound(org, bot.id)).toHaveLength(5);
  });

  it("replay processes an event again; its effects stay single", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    await post(bot.webhook_url, update("replayed"), signed());
    const [event] = await processed(org, bot.id, 1);
    const r = await call("POST", `/api/integrations/${bot.id}/webhook-events/${event?.id}/replay`, {
      key: org.adminKey,
    });
    expect(r.status).toBe(202);
    await processed(org, bot.id, 1);
    const one = await call("GET", `/api/integrations/${bot.id}/webhook-events/${event?.id}`, {
      key: org.adminKey,
    });
    expect(one.json.event).toMatchObject({ status: "processed" });
    expect(await inbound(org, bot.id)).toHaveLength(1);
    const member = await call("POST", `/api/integrations/${bot.id}/webhook-events/${event?.id}/replay`, {
      key: org.memberKey,
    });
    expect(member.status).toBe(403);
  });
});

describe("the sandbox fires signed webhooks", () => {
  it("fires a correctly signed update at the integration, and a deliberately bad one", async () => {
    const org = await newOrg();
    const bot = await telegramBot(org);
    const good = await call("POST", "/sandbox/_webhooks/telegram", {
      body: { url: bot.webhook_url, secrets: { webhook_secret: SECRET }, data: { text: "from the sandbox" } },
    });
    expect(good.status).toBe(200);
    expect(good.json.response).toEqual({ status: 200, body: { received: true } });
    const bad = await call("POST", "/sandbox/_webhooks/telegram", {
      body: { url: bot.webhook_url, secrets: { webhook_secret: SECRET }, fault: "bad_signature" },
    });
    expect(bad.json.response.status).toBe(401);
    const elsewhere = await call("POST", "/sandbox/_webhooks/telegram", {
      body: { url: "https://example.com/hook", secrets: {} },
    });
    expect(elsewhere.status).toBe(400);
    await processed(org, bot.id, 1);
    expect((await inbound(org, bot.id))[0]).toMatchObject({ text: "from the sandbox" });
  });
});

describe("documentation", () => {
  it("the OpenAPI document lists the public webhook routes and the webhook logs", async () => {
    const r = { json: apiDocument() };
    for (const path of [
      "/webhooks/{provider}/{integration_id}",
      "/api/integrations/{provider}/webhook",
      "/webhook",
      "/api/integrations/{provider}/webhook-logs",
      "/api/integrations/{id}/webhook-events",
    ])
      expect(Object.keys(r.json.paths), path).toContain(path);
  });
});
