/**
 * Leases: a consumer whose lease ran out and was taken over can never overwrite the result of
 * the consumer that took it over (messages, sync pages, record pushes), and the cron re-drives a
 * stuck message within two minutes without sending it twice. Worker A is held between its claim
 * and its provider call; worker B claims with a clock past A's lease and finishes; then A goes
 * on. Clocks are passed in, never waited for.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { EVERY_FIVE_MINUTES, EVERY_MINUTE, jobsFor } from "../src/cron/schedule.ts";
import type { IntegrationRow } from "../src/db/schema.ts";
import worker from "../src/index.ts";
import type { Logger } from "../src/lib/log.ts";
import { ProviderError } from "../src/providers/runtime.ts";
import type { Connections } from "../src/services/connections.ts";
import { createServices, type Services } from "../src/services/index.ts";
import { Messages, messageLeaseMs } from "../src/services/messages.ts";
import { LEASE_MS as SYNC_LEASE_MS, Sync } from "../src/services/sync.ts";
import { call, newIntegration, newOrg, stubQueue, type TestOrg } from "./harness.ts";
import { shapeData } from "./sync/helpers.ts";

vi.setConfig({ testTimeout: 60_000 });

const log = { debug() {}, info() {}, warn() {}, error() {}, child: () => log } as unknown as Logger;

type Then = "succeed" | ProviderError;

/**
 * Connections for worker A: its provider call waits until `release()`, then goes ahead
 * (`succeed`) or fails with the given provider error.
 */
function heldConnections(real: Connections) {
  let entered!: () => void;
  const reached = new Promise<void>((r) => {
    entered = r;
  });
  let release!: (then: Then) => void;
  const released = new Promise<Then>((r) => {
    release = r;
  });
  const connections = new Proxy(real, {
    get(target, prop, receiver) {
      // Whichever way the worker asks for its provider context, it waits here first.
      if (prop === "contextFor" || prop === "run") {
        return async (row: IntegrationRow, ...rest: unknown[]) => {
          entered();
          const then = await released;
          if (then !== "succeed") throw then;
          const fn = Reflect.get(target, prop) as (row: IntegrationRow, ...rest: unknown[]) => unknown;
          return fn.call(target, row, ...rest);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { connections, reached, release };
}

let org: TestOrg;
let jobs: ReturnType<typeof stubQueue>;
let services: Services;

beforeEach(async () => {
  org = await newOrg();
  jobs = stubQueue();
  services = createServices({ ...env, JOBS: jobs.queue } as Env, "req_leases");
});

const messageRow = async (id: string) =>
  (await env.DB.prepare("SELECT * FROM messages WHERE id = ?").bind(id).first()) as Record<string, unknown>;
const logCount = async (integrationId: string, action: string) =>
  (
    (await env.DB.prepare(
      "SELECT count(*) AS n FROM integration_logs WHERE integration_id = ? AND action = ?",
    )
      .bind(integrationId, action)
      .first()) as { n: number }
  ).n;

describe("messages", () => {
  async function queuedMessage() {
    const bot = await newIntegration(org, {
      provider: "telegram",
      name: `Bot ${crypto.randomUUID().slice(0, 8)}`,
      bot_token: "123456:ABCdef",
    });
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "telegram", to: "2001", text: "lease test" },
      env: { JOBS: jobs.queue },
    });
    expect(r.status, r.text).toBe(202);
    return { botId: bot.id as string, id: r.json.message.id as string };
  }

  describe.each([
    ["succeeds", "succeed" as Then],
    ["fails with a retryable error", new ProviderError("transient", "HTTP 503 from the provider")],
    ["fails for good", new ProviderError("permanent", "HTTP 400 from the provider")],
  ])("a late worker whose send %s", (_name, then) => {
    it("changes nothing once a newer lease finished the message", async () => {
      const { botId, id } = await queuedMessage();
      const held = heldConnections(services.connections);
      const workerA = new Messages(
        services.db,
        services.activity,
        services.integrations,
        held.connections,
        jobs.queue,
        messageLeaseMs(services.settings),
      );
      const t0 = Date.now();
      const a = workerA.process(org.orgId, id, log, t0);
      await held.reached;
      // A's lease runs out; B claims the message and sends it.
      const b = await services.messages.process(
        org.orgId,
        id,
        log,
        t0 + messageLeaseMs(services.settings) + 1,
      );
      expect(b).toEqual({ action: "ack", status: "sent" });
      const afterB = await messageRow(id);
      expect(afterB).toMatchObject({ status: "sent", attempts: 2, lease_until: null });
      expect(afterB.provider_message_id).toEqual(expect.any(String));
      const sentLogs = await logCount(botId, "message.sent");

      held.release(then);
      const late = await a;
      expect(late.action).toBe("ack");
      expect(await messageRow(id)).toEqual(afterB);
      expect(await logCount(botId, "message.sent")).toBe(sentLogs);
      expect(await logCount(botId, "message.failed")).toBe(0);
    });
  });

  it("the cron re-drives a message whose worker died within two minutes, and it is sent once", async () => {
    const { id } = await queuedMessage();
    const t0 = Date.now();
    const dead = heldConnections(services.connections);
    const workerA = new Messages(
      services.db,
      services.activity,
      services.integrations,
      dead.connections,
      jobs.queue,
      messageLeaseMs(services.settings),
    );
    // A claims and does not come back in time.
    const a = workerA.process(org.orgId, id, log, t0);
    await dead.reached;
    const redrive = { type: "message.send", orgId: org.orgId, messageId: id };
    const cron = stubQueue();
    const run = (at: number) =>
      createServices({ ...env, JOBS: cron.queue } as Env, "cron").messages.redrive(at);
    // Still leased: left alone.
    await run(t0 + 1_000);
    expect(cron.sent).not.toContainEqual(redrive);
    // The cron runs every minute: the run two minutes after the claim finds it.
    await run(t0 + 120_000);
    expect(cron.sent).toContainEqual(redrive);
    const redriven = await services.messages.process(org.orgId, id, log, t0 + 120_000);
    expect(redriven).toEqual({ action: "ack", status: "sent" });
    // A repeated re-drive finds it sent and sends nothing.
    expect(await services.messages.process(org.orgId, id, log, t0 + 121_000)).toEqual({
      action: "ack",
      status: "sent",
    });
    const sent = await messageRow(id);
    dead.release(new ProviderError("transient", "worker gone"));
    await a;
    expect(await messageRow(id)).toEqual(sent);
  });

  it("the cron re-drives a queued message whose queue message was lost within two minutes", async () => {
    const { id } = await queuedMessage();
    const created = Date.parse(String((await messageRow(id)).updated_at));
    const redrive = { type: "message.send", orgId: org.orgId, messageId: id };
    const cron = stubQueue();
    const run = (at: number) =>
      createServices({ ...env, JOBS: cron.queue } as Env, "cron").messages.redrive(at);
    // Just sent to the queue: not stuck yet.
    await run(created + 5_000);
    expect(cron.sent).not.toContainEqual(redrive);
    await run(created + 120_000);
    expect(cron.sent).toContainEqual(redrive);
  });

  it("the cron leaves a message waiting for its retry alone until the retry is due", async () => {
    const { id } = await queuedMessage();
    const due = Date.now() + 10 * 60_000;
    await env.DB.prepare("UPDATE messages SET next_attempt_at = ?, updated_at = ? WHERE id = ?")
      .bind(new Date(due).toISOString(), new Date(Date.now() - 5 * 60_000).toISOString(), id)
      .run();
    const redrive = { type: "message.send", orgId: org.orgId, messageId: id };
    const cron = stubQueue();
    const run = (at: number) =>
      createServices({ ...env, JOBS: cron.queue } as Env, "cron").messages.redrive(at);
    await run(due - 60_000);
    expect(cron.sent).not.toContainEqual(redrive);
    await run(due + 120_000);
    expect(cron.sent).toContainEqual(redrive);
  });
});

// ---- sync ------------------------------------------------------------------------------------

const jobRow = async (id: string) =>
  (await env.DB.prepare("SELECT * FROM sync_jobs WHERE id = ?").bind(id).first()) as Record<string, unknown>;
const recordRows = async (integrationId: string) =>
  (
    await env.DB.prepare("SELECT * FROM records WHERE integration_id = ? ORDER BY external_id")
      .bind(integrationId)
      .all()
  ).results;

function syncWorker(connections: Connections) {
  return new Sync(
    services.db,
    services.shards,
    services.activity,
    services.integrations,
    connections,
    services.events,
    jobs.queue,
  );
}

describe("sync pages", () => {
  async function hubspot(count: number) {
    const token = `pat-na1-lease${crypto.randomUUID().slice(0, 8)}`;
    const integration = await newIntegration(org, {
      provider: "hubspot",
      private_app_token: token,
      name: `hs ${crypto.randomUUID().slice(0, 8)}`,
    });
    await shapeData("hubspot", "contacts", { account: token, count });
    const row = await services.integrations.get(org.orgId, integration.id);
    return { row, token };
  }

  describe.each([
    ["succeeds (with newer data)", "succeed" as Then],
    ["is rate limited", new ProviderError("rate_limited", "HTTP 429", { retryAfterSeconds: 30 })],
    ["fails with a retryable error", new ProviderError("transient", "HTTP 503 from the provider")],
    ["fails for good", new ProviderError("permanent", "HTTP 400 from the provider")],
  ])("a late worker whose page %s", (_name, then) => {
    it("changes nothing once a newer lease finished the job", async () => {
      const { row, token } = await hubspot(20);
      const { job } = await services.sync.start(row, "contacts", { trigger: "manual", actor: "test" });
      const held = heldConnections(services.connections);
      const t0 = Date.now();
      const a = syncWorker(held.connections).processPage(org.orgId, job.id, 0, log, t0);
      await held.reached;
      // B takes page 0 over, then runs the job to its end.
      for (let page = 0; page < 5 && (await jobRow(job.id)).status === "running"; page++) {
        await services.sync.processPage(org.orgId, job.id, page, log, t0 + SYNC_LEASE_MS + 1);
      }
      const afterB = await jobRow(job.id);
      expect(afterB).toMatchObject({ status: "success", records_synced: 20, lease_until: null });
      const recordsB = await recordRows(row.id);
      expect(recordsB).toHaveLength(20);
      // The provider's data moves on; A would now read something newer than B saved.
      await shapeData("hubspot", "contacts", { account: token, touch: 5 });
      jobs.sent.length = 0;

      held.release(then);
      await a;
      expect(await jobRow(job.id)).toEqual(afterB);
      expect(await recordRows(row.id)).toEqual(recordsB);
      expect(jobs.sent).toEqual([]);
    });
  });

  it("a late worker on a page another worker already moved past writes nothing", async () => {
    const { row } = await hubspot(230);
    const { job } = await services.sync.start(row, "contacts", { trigger: "manual", actor: "test" });
    const held = heldConnections(services.connections);
    const t0 = Date.now();
    const a = syncWorker(held.connections).processPage(org.orgId, job.id, 0, log, t0);
    await held.reached;
    // B takes page 0 over and does it; the next page's message is on the queue.
    await services.sync.processPage(org.orgId, job.id, 0, log, t0 + SYNC_LEASE_MS + 1);
    const afterB = await jobRow(job.id);
    expect(afterB).toMatchObject({ status: "running", pages_done: 1, lease_until: null });
    jobs.sent.length = 0;
    held.release(new ProviderError("transient", "HTTP 503 from the provider"));
    await a;
    expect(await jobRow(job.id)).toEqual(afterB);
    expect(jobs.sent).toEqual([]);
  });
});

describe("sync page retries", () => {
  it("a retry is a new delayed message for the same page; a 429 pauses the job without using an attempt", async () => {
    const token = `pat-na1-retry${crypto.randomUUID().slice(0, 8)}`;
    const integration = await newIntegration(org, {
      provider: "hubspot",
      private_app_token: token,
      name: `hs ${crypto.randomUUID().slice(0, 8)}`,
    });
    await shapeData("hubspot", "contacts", { account: token, count: 20 });
    const row = await services.integrations.get(org.orgId, integration.id);
    const { job } = await services.sync.start(row, "contacts", { trigger: "manual", actor: "test" });
    const page0 = { type: "sync.page", orgId: org.orgId, jobId: job.id, page: 0 };
    const failing = (e: ProviderError) => {
      const held = heldConnections(services.connections);
      held.release(e);
      return syncWorker(held.connections);
    };
    const t0 = Date.now();

    // A transient failure: the delivery is acknowledged and a new message names the same page.
    jobs.sent.length = 0;
    jobs.delays.length = 0;
    const transient = await failing(new ProviderError("transient", "HTTP 503 from the provider")).processPage(
      org.orgId,
      job.id,
      0,
      log,
      t0,
    );
    expect(transient).toMatchObject({ action: "retry" });
    expect(await jobRow(job.id)).toMatchObject({
      status: "running",
      attempts: 1,
      lease_until: null,
      error_message: "Retrying: HTTP 503 from the provider",
    });
    expect(jobs.sent).toEqual([page0]);
    expect(jobs.delays[0]).toBeGreaterThan(0);

    // A 429: paused until Retry-After, the attempt given back.
    jobs.sent.length = 0;
    jobs.delays.length = 0;
    const t1 = t0 + 60_000;
    const limited = await failing(
      new ProviderError("rate_limited", "HTTP 429", { retryAfterSeconds: 30 }),
    ).processPage(org.orgId, job.id, 0, log, t1);
    expect(limited).toEqual({ action: "retry", delaySeconds: 30, reason: "HTTP 429" });
    expect(await jobRow(job.id)).toMatchObject({
      status: "paused",
      attempts: 1,
      resume_at: t1 + 30_000,
      lease_until: null,
      error_message: "Paused: HTTP 429",
    });
    expect(jobs.sent).toEqual([page0]);
    expect(jobs.delays).toEqual([30]);

    // A delivery before the resume time waits for it; one of a page already past is acknowledged.
    jobs.sent.length = 0;
    jobs.delays.length = 0;
    expect(await services.sync.processPage(org.orgId, job.id, 0, log, t1 + 5_000)).toMatchObject({
      action: "retry",
    });
    expect(jobs.sent).toEqual([page0]);
    expect((await jobRow(job.id)).status).toBe("paused");
    expect(await services.sync.processPage(org.orgId, job.id, 3, log, t1 + 40_000)).toMatchObject({
      action: "ack",
    });

    // The pause's message lost: the cron drives the job again once its resume time has passed.
    jobs.sent.length = 0;
    const later = t1 + 10 * 60_000;
    expect(await services.sync.redrive(later)).toBeGreaterThanOrEqual(1);
    expect(jobs.sent).toContainEqual(page0);
    expect(await services.sync.processPage(org.orgId, job.id, 0, log, later)).toMatchObject({
      action: "ack",
    });
    for (let page = 1; page < 5 && (await jobRow(job.id)).status === "running"; page++) {
      expect(await services.sync.processPage(org.orgId, job.id, page, log, later)).toMatchObject({
        action: "ack",
      });
    }
    expect(await jobRow(job.id)).toMatchObject({
      status: "success",
      records_synced: 20,
      attempts: 0,
      lease_until: null,
      resume_at: null,
    });
  });
});

describe("record pushes", () => {
  async function quickbooks() {
    const integration = await newIntegration(org, {
      provider: "quickbooks",
      access_token: `eyJ.lease${crypto.randomUUID().slice(0, 8)}`,
      realm_id: `93414530${Math.floor(Math.random() * 1e8)}`,
      environment: "sandbox",
      name: `qb ${crypto.randomUUID().slice(0, 8)}`,
    });
    return services.integrations.get(org.orgId, integration.id);
  }

  const pushRow = async (id: string) =>
    (await env.DB.prepare("SELECT * FROM record_pushes WHERE id = ?").bind(id).first()) as Record<
      string,
      unknown
    >;
  const outboundLogs = async (integrationId: string) =>
    (
      (await env.DB.prepare(
        "SELECT count(*) AS n FROM sync_jobs WHERE integration_id = ? AND direction = 'outbound'",
      )
        .bind(integrationId)
        .first()) as { n: number }
    ).n;

  describe.each([
    ["succeeds", "succeed" as Then],
    ["fails with a retryable error", new ProviderError("transient", "HTTP 503 from the provider")],
    ["fails for good", new ProviderError("permanent", "HTTP 400 from the provider")],
  ])("a late worker whose push %s", (_name, then) => {
    it("changes nothing once a newer lease finished the push", async () => {
      const row = await quickbooks();
      const { push } = await services.sync.push(row, "customers", {
        data: { name: "Nadia Rahman", email: "nadia@example.com" },
        actor: "test",
      });
      const held = heldConnections(services.connections);
      const t0 = Date.now();
      const a = syncWorker(held.connections).processPush(org.orgId, push.id, log, t0);
      await held.reached;
      await services.sync.processPush(org.orgId, push.id, log, t0 + SYNC_LEASE_MS + 1);
      const afterB = await pushRow(push.id);
      expect(afterB).toMatchObject({ status: "succeeded", lease_until: null });
      expect(afterB.external_id).toEqual(expect.any(String));
      const recordsB = await recordRows(row.id);
      const logsB = await outboundLogs(row.id);
      jobs.sent.length = 0;

      held.release(then);
      await a;
      expect(await pushRow(push.id)).toEqual(afterB);
      expect(await recordRows(row.id)).toEqual(recordsB);
      expect(await outboundLogs(row.id)).toBe(logsB);
      expect(jobs.sent).toEqual([]);
    });
  });
});

describe("cron schedules", () => {
  it("the every-minute schedule re-drives stuck work; the five-minute one keeps house", async () => {
    expect(Object.keys(jobsFor(EVERY_MINUTE)).sort()).toEqual([
      "requeue-event-deliveries",
      "requeue-messages",
      "requeue-syncs",
      "requeue-webhooks",
    ]);
    expect(Object.keys(jobsFor(EVERY_FIVE_MINUTES)).sort()).toEqual([
      "prune-expired",
      "refresh-tokens",
      "renew-calendar-watches",
      "rewrap-keys",
      "sync-schedules",
    ]);
    // A schedule the table does not know (an older deployment's) runs everything.
    expect(Object.keys(jobsFor("0 * * * *"))).toHaveLength(9);
  });

  it("the scheduled handler on the every-minute schedule re-drives a lost message", async () => {
    const bot = await newIntegration(org, {
      provider: "telegram",
      name: `Bot ${crypto.randomUUID().slice(0, 8)}`,
      bot_token: "123456:ABCdef",
    });
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { integration_id: bot.id, channel: "telegram", to: "2002", text: "lost" },
      env: { JOBS: jobs.queue },
    });
    expect(r.status, r.text).toBe(202);
    const id = r.json.message.id as string;
    await env.DB.prepare("UPDATE messages SET updated_at = ? WHERE id = ?")
      .bind(new Date(Date.now() - 90_000).toISOString(), id)
      .run();
    const cron = stubQueue();
    const scheduled = worker.scheduled as ExportedHandlerScheduledHandler<Env>;
    await scheduled(
      createScheduledController({ cron: EVERY_MINUTE }),
      { ...env, JOBS: cron.queue } as Env,
      createExecutionContext(),
    );
    expect(cron.sent).toContainEqual({ type: "message.send", orgId: org.orgId, messageId: id });
  });
});
