/**
 * Queue-first ingestion: a verified delivery is put on the queue before the answer and stored
 * by the consumer; nothing is lost when the queue refuses it (it is stored in D1 before the
 * answer), when the message would be too large (the same), when the queue delivers a message
 * twice (one row, processed once), or when the queue gives up on it (the dead-letter consumer
 * stores it for the sweep).
 */
import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import type { JobMessage } from "../../src/queue/messages.ts";
import { call, eventually, newIntegration, newOrg, stubQueue, type TestOrg } from "../harness.ts";

const SECRET = "tg-queue-first_0123456789";
const signed = { "x-telegram-bot-api-secret-token": SECRET };
let updateId = 820_000;
const update = (text = "hi", id = ++updateId) =>
  JSON.stringify({
    update_id: id,
    message: { message_id: id, chat: { id: 4545, type: "private" }, date: 1_700_000_000, text },
  });

async function bot(org: TestOrg) {
  return newIntegration(org, {
    provider: "telegram",
    name: `Bot ${crypto.randomUUID()}`,
    bot_token: "123456:ABCdef_ghi-jkl",
    webhook_secret: SECRET,
  });
}

const rowsOf = (integrationId: string) =>
  env.DB.prepare("select id, status, duplicates, attempts from webhook_events where integration_id = ?")
    .bind(integrationId)
    .all<{ id: string; status: string; duplicates: number; attempts: number }>()
    .then((r) => r.results);

function post(url: string, body: string, queue?: Queue) {
  return call("POST", new URL(url).pathname, {
    raw: body,
    contentType: "application/json",
    headers: signed,
    ...(queue ? { env: { JOBS: queue, WEBHOOKS: queue } } : {}),
  });
}

async function consume(queue: string, bodies: unknown[]) {
  const batch = createMessageBatch(
    queue,
    bodies.map((body, i) => ({
      id: `m-${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      attempts: 1,
      body,
    })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

type Ingest = Extract<JobMessage, { type: "webhook.ingest" }>;

describe("queue-first webhook ingestion", () => {
  it("answers once the delivery is on the queue; nothing is in D1 until the consumer stores it", async () => {
    const org = await newOrg();
    const b = await bot(org);
    const jobs = stubQueue();
    const r = await post(b.webhook_url, update("queued"), jobs.queue);
    expect(r.status).toBe(200);
    expect(await rowsOf(b.id)).toEqual([]);
    const [message] = jobs.sent as Ingest[];
    expect(message).toMatchObject({
      type: "webhook.ingest",
      orgId: org.orgId,
      event: { integrationId: b.id, provider: "telegram", eventType: "message", ignored: false },
    });
    // The consumer stores it and processes it in the same batch.
    const result = await consume("switchboard-jobs-development", [message]);
    expect(result.retryMessages).toEqual([]);
    const rows = await rowsOf(b.id);
    expect(rows).toEqual([
      expect.objectContaining({ id: message?.event.id, status: "processed", attempts: 1 }),
    ]);
  });

  it("a batch of deliveries is stored together; a message the queue delivers again changes nothing", async () => {
    const org = await newOrg();
    const b = await bot(org);
    const jobs = stubQueue();
    const ids = [++updateId, ++updateId, ++updateId, ++updateId];
    for (const id of ids)
      expect((await post(b.webhook_url, update(`n${id}`, id), jobs.queue)).status).toBe(200);
    // A provider's repeat of the first, too.
    const first = jobs.sent[0] as Ingest;
    expect((await post(b.webhook_url, update(`n${ids[0]}`, ids[0]), jobs.queue)).status).toBe(200);
    expect(jobs.sent).toHaveLength(5);
    await consume("switchboard-jobs-development", jobs.sent);
    let rows = await rowsOf(b.id);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.status === "processed" && r.attempts === 1)).toBe(true);
    expect(rows.find((r) => r.id === first.event.id)?.duplicates).toBe(1);
    // The queue delivers the whole batch again (its ack was lost): same rows, no second effect.
    await consume("switchboard-jobs-development", jobs.sent.slice(0, 4));
    rows = await rowsOf(b.id);
    expect(rows).toHaveLength(4);
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
    expect(rows.find((r) => r.id === first.event.id)?.duplicates).toBe(1);
    const inbound = await call("GET", `/api/messages?direction=inbound&integration_id=${b.id}`, {
      key: org.adminKey,
    });
    expect(inbound.json.messages).toHaveLength(4);
  });

  it("a queue that refuses the send: the delivery is in D1 before the answer, then processed", async () => {
    const org = await newOrg();
    const b = await bot(org);
    const sent: unknown[] = [];
    const failing = {
      send: async (body: unknown) => {
        if ((body as { type?: string }).type === "webhook.ingest") throw new Error("queue unavailable");
        sent.push(body);
      },
      sendBatch: async (items: Iterable<{ body: unknown }>) => {
        for (const m of items) sent.push(m.body);
      },
    } as unknown as Queue;
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request(b.webhook_url, {
        method: "POST",
        headers: { ...signed, "content-type": "application/json" },
        body: update("fallback"),
      }),
      { ...env, JOBS: failing, WEBHOOKS: failing } as Env,
      ctx,
    );
    expect(res.status).toBe(200);
    const rows = await rowsOf(b.id);
    expect(rows).toEqual([expect.objectContaining({ status: "pending" })]);
    // Its processing goes on the queue after the answer.
    await waitOnExecutionContext(ctx);
    expect(sent).toEqual([{ type: "webhook.process", orgId: org.orgId, eventIds: [rows[0]?.id] }]);
  });

  it("a delivery too large for a queue message is stored in D1 before the answer", async () => {
    const org = await newOrg();
    const b = await bot(org);
    const jobs = stubQueue();
    const r = await post(b.webhook_url, update("x".repeat(150 * 1024)), jobs.queue);
    expect(r.status).toBe(200);
    expect(jobs.sent.filter((m) => (m as { type: string }).type === "webhook.ingest")).toEqual([]);
    expect(await rowsOf(b.id)).toHaveLength(1);
  });

  it("a message the queue gives up on is stored by the dead-letter consumer, pending for the sweep", async () => {
    const org = await newOrg();
    const b = await bot(org);
    const jobs = stubQueue();
    expect((await post(b.webhook_url, update("dead-lettered"), jobs.queue)).status).toBe(200);
    const result = await consume(env.DEAD_LETTER_QUEUE, jobs.sent);
    expect(result.retryMessages).toEqual([]);
    expect(await rowsOf(b.id)).toEqual([expect.objectContaining({ status: "pending", attempts: 0 })]);
    // The minutely sweep picks it up once it has waited past the stuck threshold.
    await env.DB.prepare("update webhook_events set received_at = ? where integration_id = ?")
      .bind(new Date(Date.now() - 10 * 60_000).toISOString(), b.id)
      .run();
    await worker.scheduled(
      { cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController,
      env,
    );
    await eventually(
      () => rowsOf(b.id),
      (rows) => rows[0]?.status === "processed",
    );
  });
});
