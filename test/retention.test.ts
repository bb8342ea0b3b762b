/**
 * Retention (src/services/retention.ts, the five-minute cron's `prune-expired`): rows older than
 * RETENTION_DAYS go and newer ones stay, work still needed is never pruned, a run deletes a
 * bounded number of rows and the next run continues, and every DELETE walks an index.
 *
 * Rows are written straight into D1 with the timestamps each case needs, and the clock is passed
 * in. Each case lives at its own time, a year before the previous case's, so the rows one case
 * leaves behind are always newer than the next case's cutoff.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getSettings } from "../src/config.ts";
import { pruneHistory } from "../src/cron/retention.ts";
import { EVERY_FIVE_MINUTES, jobsFor } from "../src/cron/schedule.ts";
import { createDb } from "../src/db/client.ts";
import {
  deadLetters,
  eventAttempts,
  eventDeliveries,
  events,
  integrationLogs,
  organizations,
  webhookEvents,
} from "../src/db/schema.ts";
import type { Fields, Logger } from "../src/lib/log.ts";
import { createServices } from "../src/services/index.ts";
import { PRUNED_TABLES, type PrunedTable, pruneExpired, pruneStatements } from "../src/services/retention.ts";

const db = createDb(env.DB);
const DAY = 86_400_000;

let year = 2090;
/** A clock of its own for each case, a year before the previous case's. */
const caseClock = () => Date.UTC(year--, 5, 1);

const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;
const id = (prefix: string) => `${prefix}_retention_${++seq}`;

async function newOrg(): Promise<string> {
  const orgId = id("org");
  await db.insert(organizations).values({ id: orgId, name: orgId, slug: orgId });
  return orgId;
}

async function addLogs(orgId: string, at: number, n = 1): Promise<void> {
  const rows = Array.from({ length: n }, () => ({
    id: id("log"),
    orgId,
    integrationId: "int_retention",
    level: "info" as const,
    action: "test",
    message: "entry",
    createdAt: iso(at),
  }));
  // Eight bound values a row, and D1 binds at most 100 a statement.
  for (let i = 0; i < rows.length; i += 12) await db.insert(integrationLogs).values(rows.slice(i, i + 12));
}

async function addWebhook(
  orgId: string,
  at: number,
  status: "pending" | "processing" | "processed" | "failed" | "ignored",
): Promise<string> {
  const whe = id("whe");
  await db.insert(webhookEvents).values({
    id: whe,
    orgId,
    integrationId: "int_retention",
    provider: "other",
    eventType: "invoice.paid",
    dedupeKey: whe,
    payload: { n: seq },
    status,
    receivedAt: iso(at),
  });
  return whe;
}

/** An event with one delivery (and `attempts` attempts at `at`), or none. */
async function addEvent(
  orgId: string,
  at: number,
  delivery?: {
    status: "pending" | "delivering" | "succeeded" | "failed";
    updatedAt?: number;
    attempts?: number;
  },
): Promise<{ eventId: string; deliveryId?: string }> {
  const eventId = id("evt");
  await db
    .insert(events)
    .values({ id: eventId, orgId, type: "lead.created", payload: {}, createdAt: iso(at) });
  if (!delivery) return { eventId };
  const deliveryId = id("dlv");
  await db.insert(eventDeliveries).values({
    id: deliveryId,
    orgId,
    eventId,
    endpointId: "ep_retention",
    status: delivery.status,
    attempts: delivery.attempts ?? 0,
    createdAt: iso(at),
    updatedAt: iso(delivery.updatedAt ?? at),
  });
  for (let i = 1; i <= (delivery.attempts ?? 0); i++)
    await db.insert(eventAttempts).values({
      id: id("att"),
      orgId,
      deliveryId,
      endpointId: "ep_retention",
      attempt: i,
      statusCode: 500,
      latencyMs: 12,
      createdAt: iso(at),
    });
  return { eventId, deliveryId };
}

async function addDeadLetter(orgId: string, kind: string, refId: string, at: number): Promise<void> {
  await db.insert(deadLetters).values({
    id: id("dl"),
    orgId,
    kind,
    refId,
    cause: "exhausted",
    reason: "gave up after 5 attempts: HTTP 500",
    attempts: 5,
    createdAt: iso(at),
  });
}

/** The ids left in each pruned table for one organization. */
async function left(orgId: string): Promise<Record<PrunedTable, string[]>> {
  const out = {} as Record<PrunedTable, string[]>;
  for (const table of PRUNED_TABLES) {
    const { results } = await env.DB.prepare(`SELECT id FROM ${table} WHERE org_id = ? ORDER BY id`)
      .bind(orgId)
      .all<{ id: string }>();
    out[table] = results.map((r) => r.id);
  }
  return out;
}

const count = async (orgId: string, table: string) =>
  (
    await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE org_id = ?`)
      .bind(orgId)
      .first<{ n: number }>()
  )?.n;

/** A logger that keeps what it is told. */
function recordingLog() {
  const lines: { msg: string; fields?: Fields }[] = [];
  const log: Logger = {
    info: (msg, fields) => lines.push({ msg, fields }),
    warn: (msg, fields) => lines.push({ msg, fields }),
    error: (msg, fields) => lines.push({ msg, fields }),
    with: () => log,
  };
  return { log, lines };
}

describe("retention", () => {
  it("prunes rows older than the retention from every table and keeps the newer ones", async () => {
    const now = caseClock();
    const orgId = await newOrg();
    const old = now - 31 * DAY;
    const recent = now - 29 * DAY;
    await addLogs(orgId, old, 3);
    await addLogs(orgId, recent, 2);
    const oldWebhook = await addWebhook(orgId, old, "processed");
    const recentWebhook = await addWebhook(orgId, recent, "processed");
    const oldEvent = await addEvent(orgId, old, { status: "succeeded", attempts: 2 });
    const oldBare = await addEvent(orgId, old);
    const recentEvent = await addEvent(orgId, recent, { status: "succeeded", attempts: 1 });
    const before = await left(orgId);

    const { log, lines } = recordingLog();
    const run = await pruneHistory(db, { RETENTION_DAYS: 30 }, now, log);

    expect(run.cutoff).toBe(iso(now - 30 * DAY));
    expect(run.pruned).toEqual({
      integration_logs: 3,
      webhook_events: 1,
      event_attempts: 2,
      event_deliveries: 1,
      events: 2,
    });
    expect(run.unfinished).toEqual([]);
    const after = await left(orgId);
    expect(after.integration_logs).toHaveLength(2);
    expect(after.webhook_events).toEqual([recentWebhook]);
    expect(after.webhook_events).not.toContain(oldWebhook);
    expect(after.events).toEqual([recentEvent.eventId]);
    expect(before.events).toEqual(expect.arrayContaining([oldEvent.eventId, oldBare.eventId]));
    expect(after.event_deliveries).toEqual([recentEvent.deliveryId]);
    expect(await count(orgId, "event_attempts")).toBe(1);
    // The structured log says how many rows of each table went.
    expect(lines).toEqual([
      {
        msg: "retention pruned expired rows",
        fields: expect.objectContaining({ retention_days: 30, total: 9, integration_logs: 3, events: 2 }),
      },
    ]);

    // A repeated run finds nothing more, and says nothing.
    const again = recordingLog();
    const second = await pruneHistory(db, { RETENTION_DAYS: 30 }, now, again.log);
    expect(Object.values(second.pruned)).toEqual([0, 0, 0, 0, 0]);
    expect(again.lines).toEqual([]);
    expect(await left(orgId)).toEqual(after);
  });

  it("never prunes work still needed: open webhook events and deliveries, dead-lettered failures, their events", async () => {
    const now = caseClock();
    const orgId = await newOrg();
    const old = now - 90 * DAY;
    const pending = await addWebhook(orgId, old, "pending");
    const processing = await addWebhook(orgId, old, "processing");
    const deadWebhook = await addWebhook(orgId, old, "failed");
    await addDeadLetter(orgId, "webhook.process", deadWebhook, old);
    const failedWebhook = await addWebhook(orgId, old, "failed");
    const ignored = await addWebhook(orgId, old, "ignored");

    const waiting = await addEvent(orgId, old, { status: "pending", attempts: 3 });
    const delivering = await addEvent(orgId, old, { status: "delivering", attempts: 1 });
    const deadDelivery = await addEvent(orgId, old, { status: "failed", attempts: 8 });
    await addDeadLetter(orgId, "event.deliver", deadDelivery.deliveryId as string, old);
    const failedDelivery = await addEvent(orgId, old, { status: "failed", attempts: 8 });
    // Redelivered yesterday: the delivery was touched within the retention, so it stays (and
    // with it its event), while its attempts of 90 days ago go.
    const redelivered = await addEvent(orgId, old, {
      status: "succeeded",
      updatedAt: now - DAY,
      attempts: 1,
    });

    const run = await pruneExpired(db, { days: 30, now });

    const after = await left(orgId);
    expect(after.webhook_events.sort()).toEqual([pending, processing, deadWebhook].sort());
    expect(after.webhook_events).not.toContain(failedWebhook);
    expect(after.webhook_events).not.toContain(ignored);
    expect(after.event_deliveries.sort()).toEqual(
      [waiting, delivering, deadDelivery, redelivered].map((e) => e.deliveryId).sort(),
    );
    expect(after.events.sort()).toEqual(
      [waiting, delivering, deadDelivery, redelivered].map((e) => e.eventId).sort(),
    );
    expect(after.events).not.toContain(failedDelivery.eventId);
    // Attempts are history: all of them are older than the retention.
    expect(after.event_attempts).toEqual([]);
    expect(run.pruned).toEqual({
      integration_logs: 0,
      webhook_events: 2,
      event_attempts: 3 + 1 + 8 + 8 + 1,
      event_deliveries: 1,
      events: 1,
    });
    // Dead letters are never pruned.
    expect(await count(orgId, "dead_letters")).toBe(2);
  });

  it("keeps a delivery while it still has an attempt, and its event with it", async () => {
    const now = caseClock();
    const orgId = await newOrg();
    const old = now - 40 * DAY;
    const e = await addEvent(orgId, old, { status: "succeeded" });
    // An attempt recorded after the delivery's last update (clocks of two writers): the delivery
    // waits until the attempt is old enough to go, so no attempt is ever left without it.
    await db.insert(eventAttempts).values({
      id: id("att"),
      orgId,
      deliveryId: e.deliveryId as string,
      endpointId: "ep_retention",
      attempt: 1,
      latencyMs: 5,
      createdAt: iso(now - 29 * DAY),
    });
    await pruneExpired(db, { days: 30, now });
    expect((await left(orgId)).event_deliveries).toEqual([e.deliveryId]);
    expect((await left(orgId)).events).toEqual([e.eventId]);

    await pruneExpired(db, { days: 30, now: now + 2 * DAY });
    expect(await left(orgId)).toEqual({
      integration_logs: [],
      webhook_events: [],
      event_attempts: [],
      event_deliveries: [],
      events: [],
    });
  });

  it("deletes at most batchSize × maxBatches rows of a table a run; the next run continues", async () => {
    const now = caseClock();
    const orgId = await newOrg();
    await addLogs(orgId, now - 60 * DAY, 10);
    await addLogs(orgId, now - DAY, 1);
    const limits = { batchSize: 3, maxBatches: 2 };

    const first = await pruneHistory(db, { RETENTION_DAYS: 30 }, now, recordingLog().log, limits);
    expect(first.pruned.integration_logs).toBe(6);
    expect(first.unfinished).toEqual(["integration_logs"]);
    expect(await count(orgId, "integration_logs")).toBe(5);

    const second = await pruneHistory(db, { RETENTION_DAYS: 30 }, now, recordingLog().log, limits);
    expect(second.pruned.integration_logs).toBe(4);
    expect(second.unfinished).toEqual([]);
    expect(await count(orgId, "integration_logs")).toBe(1);

    const third = await pruneHistory(db, { RETENTION_DAYS: 30 }, now, recordingLog().log, limits);
    expect(third.pruned.integration_logs).toBe(0);
    expect(await count(orgId, "integration_logs")).toBe(1);
  });

  it("the five-minute cron prunes with RETENTION_DAYS (default 30)", async () => {
    const now = caseClock();
    const orgId = await newOrg();
    await addLogs(orgId, now - 8 * DAY);
    await addLogs(orgId, now - 6 * DAY);
    const job = jobsFor(EVERY_FIVE_MINUTES)["prune-expired"];
    if (!job) throw new Error("no prune-expired job on the five-minute schedule");

    // The default keeps both.
    await job(createServices(env, "cron_test"), env, now, recordingLog().log);
    expect(await count(orgId, "integration_logs")).toBe(2);

    const sevenDays = { ...env, RETENTION_DAYS: "7" } as Env;
    expect(getSettings(sevenDays).RETENTION_DAYS).toBe(7);
    await job(createServices(sevenDays, "cron_test"), sevenDays, now, recordingLog().log);
    expect(await count(orgId, "integration_logs")).toBe(1);
  });

  it.each(["0", "-3", "2.5", "days", "3651"])("refuses RETENTION_DAYS=%s", (value) => {
    expect(() => getSettings({ ...env, RETENTION_DAYS: value } as Env)).toThrow(/RETENTION_DAYS/);
  });

  it("every DELETE and its 'older than' scan walk an index, never the whole table", async () => {
    for (const { table, statement } of pruneStatements(db, iso(Date.UTC(2000, 0, 1)), 1000)) {
      const q = statement.toSQL();
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${q.sql}`)
        .bind(...q.params)
        .all<{ detail: string }>();
      const plan = results.map((r) => r.detail);
      expect(
        plan.filter((d) => d.startsWith("SCAN")),
        `${table}: ${plan.join("; ")}`,
      ).toEqual([]);
      expect(
        plan.some((d) => /USING (COVERING )?INDEX/.test(d)),
        `${table}: ${plan.join("; ")}`,
      ).toBe(true);
    }
  });

  it("runs over every database; on a shard, where no dead letter can be checked, failed rows stay", async () => {
    const now = caseClock();
    const old = now - 90 * DAY;
    const shard = createDb(env.DB_SHARD_1);
    const orgId = id("org");
    for (const d of [db, shard])
      await d.insert(organizations).values({ id: orgId, name: orgId, slug: orgId });
    const row = (status: "processed" | "failed") => {
      const whe = id("whe");
      return {
        id: whe,
        orgId,
        integrationId: "int_retention",
        provider: "other",
        eventType: "invoice.paid",
        dedupeKey: whe,
        payload: {},
        status,
        receivedAt: iso(old),
      };
    };
    const onMain = [row("processed"), row("failed")];
    const onShard = [row("processed"), row("failed")];
    await db.insert(webhookEvents).values(onMain);
    await shard.insert(webhookEvents).values(onShard);
    const run = await pruneHistory([db, shard], { RETENTION_DAYS: 30 }, now, recordingLog().log);
    expect(run.pruned.webhook_events).toBeGreaterThanOrEqual(3);
    const ids = async (d: typeof db) =>
      (
        await d.select({ id: webhookEvents.id }).from(webhookEvents).where(eq(webhookEvents.orgId, orgId))
      ).map((r) => r.id);
    // On the main database the failed row had no dead letter: it went.
    expect(await ids(db)).toEqual([]);
    expect(await ids(shard)).toEqual([onShard[1]?.id]);
  });
});
