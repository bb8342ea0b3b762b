/**
 * Organizations' high-volume rows in a shard (src/db/shards.ts): with DATA_SHARDS mapping org A
 * to DB_SHARD_1 and leaving org B on the default (DB), each one's integration logs, webhook
 * events (a signed Telegram update through the webhook route), synced records (a HubSpot sync
 * against the sandbox), events, deliveries and attempts land in its own database and nowhere
 * else, and the API reads them back; the minutely re-drive sweeps every database; deleting an
 * organization empties its shard; a wrong DATA_SHARDS is a clear error; and a statement is never
 * batched on a database it was not prepared for.
 *
 * Both databases are real local D1 (wrangler.toml's development env binds two). Every request
 * and queue delivery runs with the same DATA_SHARDS; the queue is a stub drained by hand.
 */
import { createExecutionContext, createMessageBatch, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { batchAcross, on } from "../src/db/batch.ts";
import { auditLogs, integrationLogs } from "../src/db/schema.ts";
import { SHARDED_TABLES } from "../src/db/shards.ts";
import worker from "../src/index.ts";
import { createServices } from "../src/services/index.ts";
import { ADMIN_TOKEN, BASE, type CallOptions, call, newOrg, stubQueue, type TestOrg } from "./harness.ts";
import { shapeData } from "./sync/helpers.ts";

const TELEGRAM_SECRET = "tg-secret_shards_0123";

let orgA: TestOrg;
let orgB: TestOrg;
let jobs: ReturnType<typeof stubQueue>;
let shardEnv: Partial<Env>;

beforeAll(async () => {
  orgA = await newOrg("Shard A");
  orgB = await newOrg("Shard B");
  jobs = stubQueue();
  shardEnv = {
    DATA_SHARDS: JSON.stringify({ default: "DB", organizations: { [orgA.orgId]: "DB_SHARD_1" } }),
    JOBS: jobs.queue,
    WEBHOOKS: jobs.queue,
    DLQ: stubQueue().queue,
  };
});

const as = (org: TestOrg, method: string, path: string, opts: CallOptions = {}) =>
  call(method, path, { key: org.adminKey, env: shardEnv, ...opts });

/** Runs every queued message through the jobs consumer (and what they queue), as the queue would. */
async function drain() {
  for (let round = 0; round < 50 && jobs.sent.length; round++) {
    const bodies = jobs.sent.splice(0);
    jobs.delays.splice(0);
    const batch = createMessageBatch("switchboard-jobs-development", [
      ...bodies.map((body, i) => ({ id: `m-${round}-${i}`, timestamp: new Date(), attempts: 1, body })),
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, ...shardEnv } as Env, ctx);
    await waitOnExecutionContext(ctx);
  }
  expect(jobs.sent, "the queue drained").toEqual([]);
}

/** An organization's rows in each sharded table of one database. */
async function countsIn(d1: D1Database, orgId: string) {
  const out = {} as Record<(typeof SHARDED_TABLES)[number], number>;
  for (const table of SHARDED_TABLES) {
    const row = await d1
      .prepare(`SELECT count(*) AS n FROM ${table} WHERE org_id = ?`)
      .bind(orgId)
      .first<{ n: number }>();
    out[table] = row?.n ?? 0;
  }
  return out;
}

const none = Object.fromEntries(SHARDED_TABLES.map((t) => [t, 0]));

/** What each organization was given: a Telegram bot, a HubSpot integration, an event endpoint. */
const made = new Map<string, { bot: string; webhookUrl: string; hubspot: string; endpoint: string }>();

async function equip(org: TestOrg) {
  const bot = await as(org, "POST", "/api/integrations", {
    body: {
      provider: "telegram",
      name: `Bot ${org.orgId.slice(-6)}`,
      bot_token: "123456:ABCdef_ghi-jkl",
      webhook_secret: TELEGRAM_SECRET,
    },
  });
  expect(bot.status, bot.text).toBe(201);
  const token = `pat-na1-shard${crypto.randomUUID().slice(0, 8)}`;
  await shapeData("hubspot", "contacts", { account: token, count: 7 });
  const hubspot = await as(org, "POST", "/api/integrations", {
    body: { provider: "hubspot", private_app_token: token, name: `HubSpot ${org.orgId.slice(-6)}` },
  });
  expect(hubspot.status, hubspot.text).toBe(201);
  const endpoint = await as(org, "POST", "/api/event-endpoints", {
    body: { url: `${BASE}/sandbox/_receiver/shards-${crypto.randomUUID()}` },
  });
  expect(endpoint.status, endpoint.text).toBe(201);
  made.set(org.orgId, {
    bot: bot.json.integration.id,
    webhookUrl: bot.json.integration.webhook_url,
    hubspot: hubspot.json.integration.id,
    endpoint: endpoint.json.endpoint.id,
  });
}

async function traffic(org: TestOrg, text: string) {
  const m = made.get(org.orgId);
  if (!m) throw new Error("not equipped");
  // A signed Telegram update through the integration's webhook URL.
  const id = Math.floor(Math.random() * 1e9);
  const update = JSON.stringify({
    update_id: id,
    message: { message_id: id, chat: { id: 4242, type: "private" }, date: 1_700_000_000, text },
  });
  const hook = await call("POST", new URL(m.webhookUrl).pathname, {
    raw: update,
    contentType: "application/json",
    headers: { "x-telegram-bot-api-secret-token": TELEGRAM_SECRET },
    env: shardEnv,
  });
  expect(hook.status, hook.text).toBe(200);
  // A full sync of HubSpot contacts from the sandbox.
  const sync = await as(org, "POST", `/api/integrations/${m.hubspot}/sync/contacts`);
  expect([200, 202], sync.text).toContain(sync.status);
  await drain();
}

describe("two organizations, two databases", () => {
  beforeAll(async () => {
    await equip(orgA);
    await equip(orgB);
    await traffic(orgA, "hello from A");
    await traffic(orgB, "hello from B");
  });

  it("org A's high-volume rows are all in DB_SHARD_1 and none in DB; org B's the other way round", async () => {
    const aInShard = await countsIn(env.DB_SHARD_1, orgA.orgId);
    const bInDb = await countsIn(env.DB, orgB.orgId);
    for (const counts of [aInShard, bInDb]) {
      expect(counts.records).toBe(7);
      expect(counts.webhook_events).toBe(1);
      // created ×2, sync.started, sync.completed at least.
      expect(counts.integration_logs).toBeGreaterThanOrEqual(4);
      // webhook.received, message.received, sync.completed.
      expect(counts.events).toBeGreaterThanOrEqual(3);
      expect(counts.event_deliveries).toBe(counts.events);
      expect(counts.event_attempts).toBe(counts.event_deliveries);
    }
    expect(await countsIn(env.DB, orgA.orgId)).toEqual(none);
    expect(await countsIn(env.DB_SHARD_1, orgB.orgId)).toEqual(none);
  });

  it("the rest stays in DB: the organization, its integrations, jobs, messages and audit log; the shard has only a stand-in row", async () => {
    for (const table of ["integrations", "sync_jobs", "messages", "audit_logs", "event_endpoints"]) {
      const q = `SELECT count(*) AS n FROM ${table} WHERE org_id = ?`;
      expect((await env.DB.prepare(q).bind(orgA.orgId).first<{ n: number }>())?.n, table).toBeGreaterThan(0);
      expect((await env.DB_SHARD_1.prepare(q).bind(orgA.orgId).first<{ n: number }>())?.n, table).toBe(0);
    }
    const standIn = await env.DB_SHARD_1.prepare("SELECT id, name, slug FROM organizations WHERE id = ?")
      .bind(orgA.orgId)
      .first();
    expect(standIn).toEqual({ id: orgA.orgId, name: orgA.orgId, slug: orgA.orgId });
    expect(
      await env.DB_SHARD_1.prepare("SELECT id FROM organizations WHERE id = ?").bind(orgB.orgId).first(),
    ).toBeNull();
  });

  it.each([
    ["A", () => orgA, () => env.DB_SHARD_1],
    ["B", () => orgB, () => env.DB],
  ])(
    "the API reads org %s's logs, records, webhook events, events and deliveries back",
    async (name, org, d1) => {
      const o = org();
      const m = made.get(o.orgId);
      if (!m) throw new Error("not equipped");
      const counts = await countsIn(d1(), o.orgId);

      const logs = [
        ...(await as(o, "GET", `/api/integrations/${m.bot}/logs?limit=100`)).json.logs,
        ...(await as(o, "GET", `/api/integrations/${m.hubspot}/logs?limit=100`)).json.logs,
      ];
      expect(logs).toHaveLength(counts.integration_logs);
      expect(logs.map((l: { action: string }) => l.action)).toEqual(
        expect.arrayContaining(["created", "sync.started", "sync.completed"]),
      );

      const records = await as(o, "GET", `/api/integrations/${m.hubspot}/records/contacts?limit=100`);
      expect(records.status, records.text).toBe(200);
      expect(records.json.records).toHaveLength(7);

      const hooks = await as(o, "GET", `/api/integrations/${m.bot}/webhook-events`);
      expect(hooks.json.events).toEqual([
        expect.objectContaining({ organization_id: o.orgId, integration_id: m.bot, status: "processed" }),
      ]);
      const text = (await as(o, "GET", `/api/messages?direction=inbound&integration_id=${m.bot}`)).json
        .messages;
      expect(text).toEqual([expect.objectContaining({ text: `hello from ${name}` })]);

      const events = (await as(o, "GET", "/api/events?limit=100")).json.events;
      expect(events).toHaveLength(counts.events);
      expect(events.map((e: { type: string }) => e.type)).toEqual(
        expect.arrayContaining(["webhook.received", "message.received", "sync.completed"]),
      );
      const deliveries = (await as(o, "GET", `/api/event-endpoints/${m.endpoint}/deliveries?limit=100`)).json
        .deliveries;
      expect(deliveries).toHaveLength(counts.event_deliveries);
      for (const d of deliveries) expect(d).toMatchObject({ status: "succeeded", attempts: 1 });
      const one = await as(o, "GET", `/api/event-endpoints/${m.endpoint}/deliveries/${deliveries[0].id}`);
      expect(one.json.attempts).toEqual([expect.objectContaining({ status_code: 200 })]);
    },
  );

  it("without the mapping, org A's shard rows are not seen from DB (moving an organization is a copy)", async () => {
    const m = made.get(orgA.orgId);
    const r = await call("GET", `/api/integrations/${m?.hubspot}/records/contacts`, { key: orgA.adminKey });
    expect(r.status).toBe(200);
    expect(r.json.records).toEqual([]);
  });

  it("the minutely re-drive sweeps every database: a lost event of each organization is queued again", async () => {
    const stale = new Date(Date.now() - 60 * 60_000).toISOString();
    const lose = (d1: D1Database, orgId: string) =>
      d1
        .prepare(
          "UPDATE webhook_events SET status = 'pending', attempts = 0, next_attempt_at = NULL, received_at = ? WHERE org_id = ? RETURNING id",
        )
        .bind(stale, orgId)
        .first<{ id: string }>();
    const a = await lose(env.DB_SHARD_1, orgA.orgId);
    const b = await lose(env.DB, orgB.orgId);
    const cron = stubQueue();
    const services = createServices({ ...env, ...shardEnv, JOBS: cron.queue } as Env, "cron_shards");
    expect(await services.webhooks.redrive()).toBeGreaterThanOrEqual(2);
    expect(cron.sent).toEqual(
      expect.arrayContaining([
        { type: "webhook.process", orgId: orgA.orgId, eventIds: [a?.id] },
        { type: "webhook.process", orgId: orgB.orgId, eventIds: [b?.id] },
      ]),
    );
    // Processed again: the effects are keyed, so nothing is applied twice.
    jobs.sent.push(...cron.sent);
    await drain();
    expect(await countsIn(env.DB_SHARD_1, orgA.orgId)).toMatchObject({ webhook_events: 1, records: 7 });
    const processed = await env.DB_SHARD_1.prepare("SELECT status FROM webhook_events WHERE id = ?")
      .bind(a?.id)
      .first();
    expect(processed).toEqual({ status: "processed" });
  });
});

describe("a push to the provider", () => {
  it("stores the provider's record in the organization's shard and names it on the push", async () => {
    const qb = await as(orgA, "POST", "/api/integrations", {
      body: {
        provider: "quickbooks",
        access_token: `eyJ.shard${crypto.randomUUID().slice(0, 8)}`,
        realm_id: `93414530${Math.floor(Math.random() * 1e8)}`,
        environment: "sandbox",
        name: "QuickBooks A",
      },
    });
    expect(qb.status, qb.text).toBe(201);
    const id = qb.json.integration.id;
    const queued = await as(orgA, "POST", `/api/integrations/${id}/records/customers`, {
      body: { data: { name: "Nadia Rahman", email: "nadia@example.com" } },
    });
    expect(queued.status, queued.text).toBe(202);
    await drain();
    const push = (await as(orgA, "GET", `/api/integrations/${id}/pushes/${queued.json.push.id}`)).json.push;
    expect(push).toMatchObject({ status: "succeeded", external_id: expect.any(String) });
    const stored = await env.DB_SHARD_1.prepare(
      "SELECT id, external_id FROM records WHERE integration_id = ?",
    )
      .bind(id)
      .all();
    expect(stored.results).toEqual([{ id: expect.any(String), external_id: push.external_id }]);
    const row = await env.DB.prepare("SELECT record_id FROM record_pushes WHERE id = ?")
      .bind(push.id)
      .first();
    expect(row).toEqual({ record_id: stored.results[0]?.id });
    const n = await env.DB.prepare("SELECT count(*) AS n FROM records WHERE integration_id = ?")
      .bind(id)
      .first();
    expect(n).toEqual({ n: 0 });
  });
});

describe("an organization's deletion", () => {
  it("deletes its rows in its shard with it", async () => {
    const org = await newOrg("Shard C");
    const env2 = {
      ...shardEnv,
      DATA_SHARDS: JSON.stringify({ organizations: { [org.orgId]: "DB_SHARD_1" } }),
    };
    const created = await call("POST", "/api/integrations", {
      key: org.adminKey,
      env: env2,
      body: { provider: "telegram", name: "Bot C", bot_token: "123456:ABCdef_ghi-jkl" },
    });
    expect(created.status, created.text).toBe(201);
    expect((await countsIn(env.DB_SHARD_1, org.orgId)).integration_logs).toBe(1);
    const deleted = await call("DELETE", `/admin/organizations/${org.orgId}`, {
      key: ADMIN_TOKEN,
      env: env2,
    });
    expect(deleted.status, deleted.text).toBe(200);
    expect(await countsIn(env.DB_SHARD_1, org.orgId)).toEqual(none);
    expect(
      await env.DB_SHARD_1.prepare("SELECT id FROM organizations WHERE id = ?").bind(org.orgId).first(),
    ).toBeNull();
  });
});

describe("DATA_SHARDS", () => {
  it("health checks every database it names, and reports an unknown binding by name", async () => {
    const ok = await call("GET", "/health", { env: shardEnv });
    expect(ok.status).toBe(200);
    expect(ok.json.checks.migrations.detail).toMatch(/applied in each of DB, DB_SHARD_1$/);

    const wrong = { DATA_SHARDS: JSON.stringify({ organizations: { [orgA.orgId]: "DB_SHARD_9" } }) };
    const bad = await call("GET", "/health", { env: wrong });
    expect(bad.status).toBe(503);
    expect(bad.json.checks.database).toEqual({
      ok: false,
      detail:
        'DATA_SHARDS organizations: "DB_SHARD_9" is not a D1 binding of this Worker (its D1 bindings: DB, DB_SHARD_1)',
    });
    // A binding that is there but not a D1 database is refused the same way.
    const assets = await call("GET", "/health", { env: { DATA_SHARDS: '{"default": "ASSETS"}' } });
    expect(assets.json.checks.database).toEqual({
      ok: false,
      detail:
        'DATA_SHARDS default: "ASSETS" is not a D1 binding of this Worker (its D1 bindings: DB, DB_SHARD_1)',
    });
    for (const value of ["{", '{"default": 1}', '{"orgs": {}}'])
      expect((await call("GET", "/health", { env: { DATA_SHARDS: value } })).json.checks.database).toEqual({
        ok: false,
        detail: expect.stringMatching(/^DATA_SHARDS is (not JSON|invalid)/),
      });
  });

  it("a wrong one fails what needs a shard with a 500 that says nothing of it, and nothing is written", async () => {
    const org = await newOrg("Shard D");
    const wrong = { DATA_SHARDS: JSON.stringify({ default: "NOPE" }) };
    const r = await call("POST", "/api/integrations", {
      key: org.adminKey,
      env: wrong,
      body: { provider: "telegram", name: "Bot D", bot_token: "123456:ABCdef_ghi-jkl" },
    });
    expect(r.status).toBe(500);
    expect(r.text).not.toContain("NOPE");
    const n = await env.DB.prepare("SELECT count(*) AS n FROM integrations WHERE org_id = ?")
      .bind(org.orgId)
      .first<{ n: number }>();
    expect(n?.n).toBe(0);
  });
});

describe("batches across databases", () => {
  const services = () => createServices({ ...env, ...shardEnv } as Env, "req_shards");
  const audit = (id: string) =>
    services()
      .db.insert(auditLogs)
      .values({ id, orgId: orgA.orgId, actor: "test", action: "t", targetType: "t" });
  const audited = async (id: string) =>
    (await env.DB.prepare("SELECT id FROM audit_logs WHERE id = ?").bind(id).first()) !== null;

  /** A log line of `orgId` on its data database (`id` fixed, so a second one fails). */
  const logLine = (s: ReturnType<typeof services>, orgId: string, id: string) => {
    const db = s.shards.of(orgId);
    return db
      .insert(integrationLogs)
      .values({ id, orgId, integrationId: "i", level: "info", action: "t", message: "t" });
  };
  const logged = async (d1: D1Database, id: string) =>
    (await d1.prepare("SELECT id FROM integration_logs WHERE id = ?").bind(id).first()) !== null;

  it("a statement batched on a database it was not prepared for is refused, not run there", async () => {
    const s = services();
    const shard = s.shards.of(orgA.orgId);
    await expect(shard.batch([audit("aud_wrong_db_1")])).rejects.toThrow(
      /a statement for another database was batched on DB_SHARD_1/,
    );
    await expect(s.db.batch([logLine(s, orgA.orgId, "log_wrong_db_1")])).rejects.toThrow(
      /a statement for DB_SHARD_1 was batched on another database/,
    );
    expect(await audited("aud_wrong_db_1")).toBe(false);
    expect(await logged(env.DB, "log_wrong_db_1")).toBe(false);
    expect(await logged(env.DB_SHARD_1, "log_wrong_db_1")).toBe(false);
  });

  it("the first database's failure is thrown; a later one's is logged and the write stands", async () => {
    const s = services();
    const shard = s.shards.of(orgA.orgId);
    // A primary key used twice: the shard's batch fails, and writes nothing.
    const failing = () => [
      on(shard, logLine(s, orgA.orgId, "log_twice")),
      on(shard, logLine(s, orgA.orgId, "log_twice")),
    ];
    await expect(batchAcross(s.db, [...failing(), audit("aud_first_fails")])).rejects.toThrow();
    expect(await audited("aud_first_fails")).toBe(false);
    const results = await batchAcross(s.db, [audit("aud_later_fails"), ...failing()]);
    expect(results).toEqual([expect.objectContaining({ success: true }), undefined, undefined]);
    expect(await audited("aud_later_fails")).toBe(true);
    expect(await logged(env.DB_SHARD_1, "log_twice")).toBe(false);
  });

  it("where the organization's data database is DB, it is one atomic batch as before", async () => {
    const s = services();
    expect(s.shards.of(orgB.orgId)).toBe(s.db);
    const line = () =>
      s.activity.logStatement({ orgId: orgB.orgId, integrationId: "i", action: "t", message: "t" });
    const twice = [
      line(),
      on(s.db, logLine(s, orgB.orgId, "log_b_twice")),
      on(s.db, logLine(s, orgB.orgId, "log_b_twice")),
    ];
    await expect(batchAcross(s.db, [audit("aud_same_db"), ...twice])).rejects.toThrow();
    expect(await audited("aud_same_db")).toBe(false);
  });
});
