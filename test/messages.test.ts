/**
 * Messaging: delivery on the queue with retries (429 + Retry-After, 5xx, timeouts), permanent
 * failures, dead-lettering, idempotency, duplicate queue deliveries, sandbox mode, bad input
 * and stats. The queue consumer is driven by hand (the API's queue is a stub here) so every
 * attempt is observed; the end-to-end tests use the real queue.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { MAX_SEND_ATTEMPTS } from "../src/services/messages.ts";
import {
  call,
  newIntegration,
  newOrg,
  sandboxInbox,
  stubQueue,
  type TestOrg,
  waitForMessage,
} from "./harness.ts";

let jobs: ReturnType<typeof stubQueue>;
let dlq: ReturnType<typeof stubQueue>;
let org: TestOrg;
let botId: string;

beforeEach(async () => {
  jobs = stubQueue();
  dlq = stubQueue();
  org = await newOrg();
  botId = (await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: "123456:ABCdef" })).id;
});

/** Submits a message with the queue stubbed: it stays queued until `deliver` runs the consumer. */
async function submit(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const r = await call("POST", "/api/messages", {
    key: org.adminKey,
    body,
    headers,
    env: { JOBS: jobs.queue },
  });
  return r;
}

/**
 * Seconds until the message's next attempt, as the consumer scheduled it (the test queue does
 * not report `retry({ delaySeconds })`, so the delay is read back from the message).
 */
async function scheduledDelay(id: string, since: number): Promise<number> {
  const m = await getMessage(id);
  return Math.round((Date.parse(m.next_attempt_at) - since) / 1000);
}

/**
 * Runs the jobs consumer on one delivery of a queue message, as attempt number `attempts`, once
 * the message's retry (if one is scheduled) is due: as if its delay had passed, the retry time
 * is moved to now (a delivery before it is only rescheduled, see test/jobs/fault-matrix.test.ts).
 * `retried` is the delay of the retry the job engine scheduled: a new queue message naming the
 * same message (the delivery itself is acknowledged), or undefined when it scheduled none.
 */
async function deliver(body: unknown, attempts = 1) {
  const id = (body as { messageId?: unknown }).messageId;
  if (typeof id === "string") {
    const now = new Date().toISOString();
    await env.DB.prepare("UPDATE messages SET next_attempt_at = ? WHERE id = ? AND next_attempt_at > ?")
      .bind(now, id, now)
      .run();
  }
  const batch = createMessageBatch("switchboard-jobs", [
    { id: `q-${Math.random()}`, timestamp: new Date(), attempts, body },
  ]);
  const ctx = createExecutionContext();
  const before = jobs.sent.length;
  await worker.queue(batch, { ...env, JOBS: jobs.queue, DLQ: dlq.queue } as Env, ctx);
  const result = await getQueueResult(batch, ctx);
  const again = jobs.sent.findIndex((b, i) => i >= before && JSON.stringify(b) === JSON.stringify(body));
  return { ...result, retried: again === -1 ? undefined : jobs.delays[again] };
}

/** The organization's dead letters, newest first. */
async function deadLetters() {
  return (await call("GET", "/api/dead-letters", { key: org.adminKey })).json.dead_letters;
}

const getMessage = async (id: string) =>
  (await call("GET", `/api/messages/${id}`, { key: org.adminKey })).json.message;

describe("delivery and retries", () => {
  it("a 202 enqueues one job; the consumer sends and acks", async () => {
    const r = await submit({ channel: "telegram", to: "1001", text: "plain" });
    expect(r.status).toBe(202);
    expect(jobs.sent).toEqual([{ type: "message.send", orgId: org.orgId, messageId: r.json.message.id }]);
    const result = await deliver(jobs.sent[0]);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toHaveLength(0);
    expect(await getMessage(r.json.message.id)).toMatchObject({
      status: "sent",
      attempts: 1,
      last_error: null,
    });
  });

  it("429 with Retry-After is retried after the provider's delay, then sent", async () => {
    const r = await submit({ channel: "telegram", to: "1002", text: "slow down [sandbox:429x1]" });
    const since = Date.now();
    const first = await deliver(jobs.sent[0], 1);
    expect(first.explicitAcks).toHaveLength(1);
    expect(first.retried).toBe(1);
    expect(await scheduledDelay(r.json.message.id, since)).toBe(1);
    const waiting = await getMessage(r.json.message.id);
    expect(waiting).toMatchObject({ status: "queued", attempts: 1 });
    expect(waiting.last_error).toMatch(/Too Many Requests/);
    expect(waiting.next_attempt_at).toEqual(expect.any(String));
    const second = await deliver(jobs.sent[0], 2);
    expect(second.explicitAcks).toHaveLength(1);
    const sent = await getMessage(r.json.message.id);
    expect(sent).toMatchObject({ status: "sent", attempts: 2 });
    // The timeline: accepted, a retry with the provider's reason and due time, sent.
    expect(sent.timeline.map((s: { step: string }) => s.step)).toEqual(["queued", "retry", "sent"]);
    expect(sent.timeline[1]).toMatchObject({ status: "queued", detail: waiting.next_attempt_at });
    expect(sent.timeline[1].error).toMatch(/Too Many Requests/);
    expect(sent.timeline[2]).toMatchObject({ status: "sent", detail: sent.provider_message_id });
  });

  it("503 twice then success: two retries with growing backoff, one send", async () => {
    const r = await submit({ channel: "telegram", to: "1003", text: "flaky [sandbox:503x2]" });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const since = Date.now();
      const res = await deliver(jobs.sent[0], attempt);
      expect(res.retryMessages).toHaveLength(0);
      if (res.retried !== undefined) {
        const delay = await scheduledDelay(r.json.message.id, since);
        expect(Math.abs(delay - res.retried)).toBeLessThanOrEqual(1);
        delays.push(delay);
      }
    }
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(4);
    expect(delays[0]).toBeLessThanOrEqual(6);
    expect(delays[1]).toBeGreaterThanOrEqual(8);
    expect(delays[1]).toBeLessThanOrEqual(12);
    expect(await getMessage(r.json.message.id)).toMatchObject({ status: "sent", attempts: 3 });
    expect(
      (await sandboxInbox("telegram")).filter((m) => m.body.text === "flaky [sandbox:503x2]"),
    ).toHaveLength(1);
  });

  it("a timeout is retryable", async () => {
    const r = await submit({ channel: "telegram", to: "1004", text: "hang [sandbox:timeout]" });
    const res = await deliver(jobs.sent[0], 1);
    expect(res.retried).toBeGreaterThanOrEqual(1);
    const m = await getMessage(r.json.message.id);
    expect(m.status).toBe("queued");
    expect(m.last_error).toMatch(/timeout/);
  });

  it("a permanent rejection fails at once without retry", async () => {
    const r = await submit({ channel: "telegram", to: "1005", text: "nope [sandbox:400]" });
    const res = await deliver(jobs.sent[0], 1);
    expect(res.explicitAcks).toHaveLength(1);
    expect(res.retryMessages).toHaveLength(0);
    expect(res.retried).toBeUndefined();
    const m = await getMessage(r.json.message.id);
    expect(m).toMatchObject({ status: "failed", attempts: 1 });
    expect(m.last_error).toMatch(/chat not found/);
    expect(m.timeline.map((s: { step: string }) => s.step)).toEqual(["queued", "failed"]);
    expect(m.timeline[1].error).toMatch(/chat not found/);
    const i = await call("GET", `/api/integrations/${botId}`, { key: org.adminKey });
    expect(i.json.integration.status).toBe("active");
  });

  it("invalid credentials (401) fail at once and mark the integration error", async () => {
    await call("PATCH", `/api/integrations/${botId}`, {
      key: org.adminKey,
      body: { bot_token: "123456:invalid" },
    });
    const r = await submit({ channel: "telegram", to: "1006", text: "hello" });
    const res = await deliver(jobs.sent[0], 1);
    expect(res.retryMessages).toHaveLength(0);
    expect(res.retried).toBeUndefined();
    expect(await getMessage(r.json.message.id)).toMatchObject({
      status: "failed",
      last_error: "Telegram: Unauthorized (HTTP 401)",
    });
    const i = await call("GET", `/api/integrations/${botId}`, { key: org.adminKey });
    expect(i.json.integration).toMatchObject({
      status: "error",
      last_error: "Telegram: Unauthorized (HTTP 401)",
      error_count: 1,
    });
  });

  it(`a failure that never clears is dead-lettered with its reason after ${MAX_SEND_ATTEMPTS} attempts`, async () => {
    const r = await submit({ channel: "telegram", to: "1007", text: "always broken [sandbox:500]" });
    for (let attempt = 1; attempt < MAX_SEND_ATTEMPTS; attempt++) {
      const res = await deliver(jobs.sent[0], attempt);
      expect(res.retried).toBeGreaterThanOrEqual(1);
    }
    const last = await deliver(jobs.sent[0], MAX_SEND_ATTEMPTS);
    expect(last.explicitAcks).toHaveLength(1);
    const m = await getMessage(r.json.message.id);
    expect(m).toMatchObject({ status: "failed", attempts: MAX_SEND_ATTEMPTS });
    expect(m.last_error).toMatch(/^gave up after 5 attempts: Telegram: Internal Server Error/);
    // The dead letter is kept in D1 with its reason and readable through the API.
    expect(await deadLetters()).toEqual([
      expect.objectContaining({
        kind: "message.send",
        ref_id: r.json.message.id,
        cause: "exhausted",
        reason: m.last_error,
        attempts: MAX_SEND_ATTEMPTS,
      }),
    ]);
    expect(last.retried).toBeUndefined();
  });

  it("a duplicated queue delivery never sends twice", async () => {
    const r = await submit({ channel: "telegram", to: "1008", text: "exactly once" });
    const [a, b] = await Promise.all([deliver(jobs.sent[0], 1), deliver(jobs.sent[0], 1)]);
    const third = await deliver(jobs.sent[0], 2);
    expect(third.explicitAcks).toHaveLength(1);
    // One of the concurrent deliveries sent; the other saw the lease (retry) or the sent state (ack).
    expect(a.explicitAcks.length + b.explicitAcks.length).toBeGreaterThanOrEqual(1);
    expect((await sandboxInbox("telegram")).filter((m) => m.body.text === "exactly once")).toHaveLength(1);
    expect(await getMessage(r.json.message.id)).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("an unparseable job is dead-lettered, not retried forever", async () => {
    const res = await deliver({ type: "message.send", orgId: 5 });
    expect(res.explicitAcks).toHaveLength(1);
    expect(dlq.sent).toHaveLength(1);
  });
});

describe("idempotency", () => {
  it("the same key and body return the first message and send once", async () => {
    const body = { channel: "telegram", to: "2001", text: "once" };
    const a = await submit(body, { "idempotency-key": "order-42" });
    const b = await submit(body, { "idempotency-key": "order-42" });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.json.message.id).toBe(a.json.message.id);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(jobs.sent).toHaveLength(1);
  });

  it("the same key with another body is 409 and writes nothing", async () => {
    await submit({ channel: "telegram", to: "2002", text: "first" }, { "idempotency-key": "k-2" });
    const other = await submit(
      { channel: "telegram", to: "2002", text: "second" },
      { "idempotency-key": "k-2" },
    );
    expect(other.status).toBe(409);
    const list = await call("GET", "/api/messages", { key: org.adminKey });
    expect(list.json.messages).toHaveLength(1);
  });

  it("concurrent requests with one key and body give one message, each answered 202", async () => {
    const body = { channel: "telegram", to: "2004", text: "raced" };
    const results = await Promise.all([1, 2, 3, 4].map(() => submit(body, { "idempotency-key": "race-1" })));
    expect(results.map((r) => r.status)).toEqual([202, 202, 202, 202]);
    expect(new Set(results.map((r) => r.json.message.id)).size).toBe(1);
    expect(jobs.sent).toHaveLength(1);
  });

  it("keys are per organization", async () => {
    const other = await newOrg();
    await newIntegration(other, { provider: "telegram", name: "Bot", bot_token: "1:a" });
    const a = await submit({ channel: "telegram", to: "2003", text: "x" }, { "idempotency-key": "shared" });
    const b = await call("POST", "/api/messages", {
      key: other.adminKey,
      body: { channel: "telegram", to: "2003", text: "x" },
      headers: { "idempotency-key": "shared" },
      env: { JOBS: jobs.queue },
    });
    expect(b.status).toBe(202);
    expect(b.json.message.id).not.toBe(a.json.message.id);
  });
});

describe("sandbox mode", () => {
  it("records what would be sent without calling the provider", async () => {
    await call("PATCH", `/api/integrations/${botId}`, {
      key: org.adminKey,
      body: { config: { sandbox_mode: true } },
    });
    const r = await submit({ channel: "telegram", to: "3001", text: "dry run" });
    expect(r.json.message.sandbox).toBe(true);
    await deliver(jobs.sent[0]);
    const m = await getMessage(r.json.message.id);
    expect(m).toMatchObject({ status: "sent", provider_message_id: `sandbox_mode:${m.id}`, text: "dry run" });
    expect((await sandboxInbox("telegram")).some((x) => x.body.text === "dry run")).toBe(false);
    const logs = await call("GET", `/api/integrations/${botId}/logs`, { key: org.adminKey });
    const entry = logs.json.logs.find((l: { action: string }) => l.action === "message.sent");
    expect(entry.message).toMatch(/recorded in sandbox mode, not sent/);
    expect(entry.details).toMatchObject({ to: "3001", text: "dry run" });
  });
});

describe("routing and bad input", () => {
  it("chooses the channel's integration, or the named one", async () => {
    const named = await submit({ integration_id: botId, to: "4001", text: "by id" });
    expect(named.json.message).toMatchObject({ integration_id: botId, channel: "telegram" });
    const none = await submit({ channel: "sms", to: "+14155550123", text: "x" });
    expect(none.status).toBe(400);
    expect(none.json.issues[0].path).toBe("channel");
  });

  it.each([
    [{ channel: "telegram", text: "x" }, "to"],
    [{ channel: "telegram", to: "not a chat", text: "x" }, "to"],
    [{ channel: "telegram", to: "4002" }, "text"],
    [{ channel: "email", to: "nobody", subject: "s", text: "x" }, "to"],
    [{ channel: "email", to: "a@b.co", text: "x" }, "subject"],
    [{ channel: "sms", to: "555-0100", text: "x" }, "to"],
    [{ channel: "whatsapp", to: "+14155550123" }, "text"],
    [{ channel: "fax", to: "1", text: "x" }, "channel"],
    [{ to: "4003", text: "x" }, "channel"],
    [{ integration_id: "not-a-uuid", to: "4004", text: "x" }, "integration_id"],
    [{ channel: "telegram", to: "4005", text: "x", template: { name: "" } }, "template"],
  ])("%j is 400 naming %s, nothing queued", async (body, field) => {
    const r = await submit(body);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json.issues)).toContain(field);
    expect(jobs.sent).toHaveLength(0);
    const list = await call("GET", "/api/messages", { key: org.adminKey });
    expect(list.json.messages).toHaveLength(0);
  });

  it("a recipient invalid for the named integration's channel is 400, nothing queued", async () => {
    const r = await submit({ integration_id: botId, to: "not a chat id", text: "x" });
    expect(r.status).toBe(400);
    expect(jobs.sent).toHaveLength(0);
  });

  it("malformed JSON, wrong content type, no key, member key, other tenant", async () => {
    expect(
      (await call("POST", "/api/messages", { key: org.adminKey, raw: "{", contentType: "application/json" }))
        .status,
    ).toBe(400);
    expect(
      (await call("POST", "/api/messages", { key: org.adminKey, raw: "to=1", contentType: "text/plain" }))
        .status,
    ).toBe(415);
    expect(
      (await call("POST", "/api/messages", { body: { channel: "telegram", to: "1", text: "x" } })).status,
    ).toBe(401);
    expect(
      (
        await call("POST", "/api/messages", {
          key: org.memberKey,
          body: { channel: "telegram", to: "1", text: "x" },
        })
      ).status,
    ).toBe(403);
    const mine = await submit({ channel: "telegram", to: "4006", text: "mine" });
    const other = await newOrg();
    expect((await call("GET", `/api/messages/${mine.json.message.id}`, { key: other.adminKey })).status).toBe(
      404,
    );
    expect(
      (
        await call("POST", "/api/messages", {
          key: other.adminKey,
          body: { integration_id: botId, to: "1", text: "x" },
        })
      ).status,
    ).toBe(404);
    expect(jobs.sent).toHaveLength(1);
  });
});

describe("end to end on the real queue", () => {
  it("a message submitted through the API is sent by the queue consumer", async () => {
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "telegram", to: "5001", text: "real queue" },
    });
    const m = await waitForMessage(org, r.json.message.id);
    expect(m.status).toBe("sent");
  });

  it("stats count messages by status and channel, and test outcomes", async () => {
    const r = await submit({ channel: "telegram", to: "5002", text: "count me" });
    await deliver(jobs.sent[0]);
    await call("POST", `/api/integrations/${botId}/test`, { key: org.adminKey });
    const s = await call("GET", "/api/integrations/stats", { key: org.memberKey });
    expect(s.json.messages).toMatchObject({ total: 1, by_status: { sent: 1 }, by_channel: { telegram: 1 } });
    expect(s.json.tests).toEqual({ succeeded: 1, failed: 0 });
    expect(r.status).toBe(202);
  });
});

describe("test connection", () => {
  it("is rate limited per integration with Retry-After", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let k = 0; k < 7; k++) {
      const r = await call("POST", `/api/integrations/${botId}/test`, { key: org.adminKey });
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get("retry-after");
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    const other = await newIntegration(org, { provider: "telegram", name: "Bot 2", bot_token: "2:b" });
    expect((await call("POST", `/api/integrations/${other.id}/test`, { key: org.adminKey })).status).toBe(
      200,
    );
  });

  it("a provider with missing required fields fails the test without calling it", async () => {
    const wa = await newIntegration(org, { integration_type: "whatsapp", name: "WA" });
    const r = await call("POST", `/api/integrations/${wa.id}/test`, { key: org.adminKey });
    expect(r.json.ok).toBe(false);
    expect(r.json.message).toMatch(/^Not configured: .*phone_number_id/);
  });

  it("member keys cannot test; other tenants get 404", async () => {
    expect((await call("POST", `/api/integrations/${botId}/test`, { key: org.memberKey })).status).toBe(403);
    const other = await newOrg();
    expect((await call("POST", `/api/integrations/${botId}/test`, { key: other.adminKey })).status).toBe(404);
  });
});
