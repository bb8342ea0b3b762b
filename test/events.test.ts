/**
 * Events to the host app (SPEC §10): endpoints (secret shown once, SSRF guard, roles, tenancy,
 * audit), Standard Webhooks signing (official vector, and an independent verification of what
 * the hub sends, across a secret rotation), delivery with the Svix retry schedule (5xx, 3xx,
 * 429 + Retry-After, timeouts, 410 disabling the endpoint, dead-lettering), redelivery, type
 * filters, test events, the events list, and endpoint secrets across an organization key
 * rotation.
 *
 * Endpoints point at the sandbox's receiver (`/sandbox/_receiver/<bucket>`), which the hub's
 * HTTP client answers in-process. The queue consumer is driven by hand with a stub queue, so
 * every attempt and every scheduled delay is observed; `next_attempt_at` is moved into the past
 * to run a retry without waiting for it. One test runs on the real queue end to end.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { loadKeyRing } from "../src/crypto/keyring.ts";
import { Vault } from "../src/crypto/vault.ts";
import { createDb } from "../src/db/client.ts";
import worker from "../src/index.ts";
import type { ReceivedRequest } from "../src/sandbox/receiver.ts";
import {
  type EventType,
  MAX_DELIVERY_ATTEMPTS,
  RETRY_SCHEDULE,
  signStandardWebhook,
} from "../src/services/events.ts";
import { createServices } from "../src/services/index.ts";
import { createVaultStore } from "../src/services/vault-store.ts";
import { ADMIN_TOKEN, BASE, call, newIntegration, newOrg, type TestOrg } from "./harness.ts";

// ---- helpers -------------------------------------------------------------------------------

interface Sent {
  body: unknown;
  delaySeconds?: number;
}

/** A queue binding that records what is sent (with its delay) instead of delivering it. */
function stubQueue() {
  const sent: Sent[] = [];
  const queue = {
    send: async (body: unknown, opts?: { delaySeconds?: number }) => {
      sent.push({ body, delaySeconds: opts?.delaySeconds });
    },
    sendBatch: async (items: Iterable<{ body: unknown; delaySeconds?: number }>) => {
      for (const m of items) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  } as unknown as Queue;
  return { sent, queue };
}

let jobs: ReturnType<typeof stubQueue>;
let dlq: ReturnType<typeof stubQueue>;
let org: TestOrg;

beforeEach(async () => {
  jobs = stubQueue();
  dlq = stubQueue();
  org = await newOrg();
});

const services = () => createServices({ ...env, JOBS: jobs.queue } as Env, "req_events_test");

/** A fresh receiver URL; `query` chooses its answers (see src/sandbox/receiver.ts). */
function receiverUrl(query = "") {
  const bucket = `b-${crypto.randomUUID()}`;
  return { bucket, url: `${BASE}/sandbox/_receiver/${bucket}${query ? `?${query}` : ""}` };
}

async function received(bucket: string): Promise<ReceivedRequest[]> {
  const r = await call("GET", `/sandbox/_receiver/${bucket}/requests`);
  expect(r.status).toBe(200);
  return r.json.requests;
}

async function createEndpoint(body: Record<string, unknown>, o: TestOrg = org) {
  const r = await call("POST", "/api/event-endpoints", { key: o.adminKey, body });
  expect(r.status, r.text).toBe(201);
  return r.json as { endpoint: { id: string; url: string }; secret: string };
}

/** An endpoint at a fresh receiver bucket. */
async function endpointAt(query = "", extra: Record<string, unknown> = {}) {
  const { bucket, url } = receiverUrl(query);
  const created = await createEndpoint({ url, ...extra });
  return { bucket, id: created.endpoint.id, secret: created.secret };
}

async function emit(type: EventType = "lead.created", data: Record<string, unknown> = { lead_id: "L1" }) {
  return services().events.emit(org.orgId, type, data);
}

/** Runs the jobs consumer on one queue message. */
async function consume(body: unknown, attempts = 1) {
  const batch = createMessageBatch("switchboard-jobs", [
    { id: `q-${crypto.randomUUID()}`, timestamp: new Date(), attempts, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, JOBS: jobs.queue, DLQ: dlq.queue } as Env, ctx);
  return getQueueResult(batch, ctx);
}

const job = (deliveryId: string) => ({ type: "event.deliver", orgId: org.orgId, deliveryId });

/** Lets a scheduled retry run now, as if its delay had passed. */
async function fastForward(deliveryId: string) {
  await env.DB.prepare("UPDATE event_deliveries SET next_attempt_at = ? WHERE id = ?")
    .bind("2000-01-01T00:00:00.000Z", deliveryId)
    .run();
}

async function getDelivery(endpointId: string, deliveryId: string, key = org.adminKey) {
  const r = await call("GET", `/api/event-endpoints/${endpointId}/deliveries/${deliveryId}`, { key });
  expect(r.status, r.text).toBe(200);
  return r.json as { delivery: Record<string, unknown>; attempts: Record<string, unknown>[] };
}

const b64bytes = (s: string) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));

/**
 * The Standard Webhooks verification, written here from the spec (not with the hub's code): the
 * key is the base64-decoded part of the secret after `whsec_`; any `v1,` entry of the
 * space-separated header that matches HMAC-SHA256 over `id.timestamp.body` passes.
 */
async function verifies(secret: string, req: ReceivedRequest): Promise<boolean> {
  const id = req.headers["webhook-id"];
  const ts = req.headers["webhook-timestamp"];
  const header = req.headers["webhook-signature"];
  if (!id || !ts || !header) return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    b64bytes(secret.replace(/^whsec_/, "")),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const signed = new TextEncoder().encode(`${id}.${ts}.${req.body}`);
  for (const entry of header.split(" ")) {
    const [version, sig] = entry.split(",");
    if (version !== "v1" || !sig) continue;
    if (await crypto.subtle.verify("HMAC", key, b64bytes(sig), signed)) return true;
  }
  return false;
}

const count = async (sql: string, ...binds: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...binds)
      .first<{ n: number }>()
  )?.n ?? -1;

// ---- signing -------------------------------------------------------------------------------

describe("Standard Webhooks signature", () => {
  it("matches the official test vector", async () => {
    const sig = await signStandardWebhook(
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330,
      '{"test": 2432232314}',
    );
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("a delivery carries the headers and a body the receiver verifies with the secret shown at creation", async () => {
    const ep = await endpointAt();
    const { eventId, deliveryIds } = await emit("lead.created", { lead_id: "L42", email: "a@b.co" });
    expect(deliveryIds).toHaveLength(1);
    expect(jobs.sent).toEqual([{ body: job(deliveryIds[0] as string), delaySeconds: undefined }]);
    const res = await consume(jobs.sent[0]?.body);
    expect(res.explicitAcks).toHaveLength(1);
    expect(res.retryMessages).toHaveLength(0);
    const [req, ...more] = await received(ep.bucket);
    expect(more).toHaveLength(0);
    if (!req) throw new Error("nothing received");
    expect(req.method).toBe("POST");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers["user-agent"]).toBe("Switchboard-Webhooks/1");
    expect(req.headers["webhook-id"]).toBe(eventId);
    expect(req.headers["webhook-timestamp"]).toMatch(/^\d{10}$/);
    expect(req.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(await verifies(ep.secret, req)).toBe(true);
    expect(await verifies(ep.secret, { ...req, body: `${req.body} ` })).toBe(false);
    const body = JSON.parse(req.body);
    expect(body).toEqual({
      type: "lead.created",
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: { lead_id: "L42", email: "a@b.co" },
    });
  });
});

// ---- endpoints -----------------------------------------------------------------------------

describe("endpoints", () => {
  it("the secret is shown once: on creation, never by GET or list, and not stored in clear", async () => {
    const { url } = receiverUrl();
    const created = await createEndpoint({ url, description: "CRM sync", event_types: ["lead.created"] });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(b64bytes(created.secret.slice(6))).toHaveLength(32);
    expect(created.endpoint).toMatchObject({
      url,
      description: "CRM sync",
      event_types: ["lead.created"],
      status: "enabled",
      disabled_reason: null,
    });
    expect(created.endpoint.id).toMatch(/^ep_[0-9a-f]{32}$/);
    const got = await call("GET", `/api/event-endpoints/${created.endpoint.id}`, { key: org.adminKey });
    expect(got.status).toBe(200);
    expect(got.json.endpoint).toEqual(created.endpoint);
    const list = await call("GET", "/api/event-endpoints", { key: org.memberKey });
    expect(list.status).toBe(200);
    expect(list.json.endpoints).toEqual([created.endpoint]);
    for (const text of [got.text, list.text]) {
      expect(text).not.toContain(created.secret);
      expect(text).not.toContain("secret");
    }
    const row = await env.DB.prepare("SELECT * FROM event_endpoints WHERE id = ?")
      .bind(created.endpoint.id)
      .first<Record<string, unknown>>();
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6, 30));
  });

  it("lists page with a cursor, newest first", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await endpointAt()).id);
    const first = await call("GET", "/api/event-endpoints?limit=2", { key: org.adminKey });
    expect(first.json.endpoints.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    expect(first.json.next_cursor).toEqual(expect.any(String));
    const second = await call("GET", `/api/event-endpoints?limit=2&cursor=${first.json.next_cursor}`, {
      key: org.adminKey,
    });
    expect(second.json.endpoints.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
    expect(second.json.next_cursor).toBeNull();
  });

  describe("refused URLs and bad input: 400 naming the field, nothing stored", () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["a private address", { url: "https://10.0.0.5/hook" }, "url"],
      ["loopback", { url: "https://127.0.0.1/hook" }, "url"],
      ["localhost", { url: "https://localhost/hook" }, "url"],
      ["cloud metadata", { url: "http://169.254.169.254/latest/meta-data" }, "url"],
      ["an IPv6 loopback", { url: "https://[::1]/hook" }, "url"],
      ["plain http", { url: "http://app.example.com/hook" }, "url"],
      ["credentials in the URL", { url: "https://user:pw@app.example.com/hook" }, "url"],
      ["not a URL", { url: "app.example.com/hook" }, "url"],
      ["another scheme", { url: "ftp://app.example.com/hook" }, "url"],
      ["no URL", { description: "x" }, "url"],
      [
        "an unknown event type",
        { url: "https://app.example.com/h", event_types: ["lead.deleted"] },
        "event_types.0",
      ],
      ["an empty type list", { url: "https://app.example.com/h", event_types: [] }, "event_types"],
      ["an unknown field", { url: "https://app.example.com/h", events: ["lead.created"] }, ""],
    ];
    it.each(cases)("%s", async (_name, body, path) => {
      const before = [
        await count("SELECT count(*) AS n FROM event_endpoints"),
        await count("SELECT count(*) AS n FROM audit_logs"),
      ];
      const r = await call("POST", "/api/event-endpoints", { key: org.adminKey, body });
      expect(r.status, r.text).toBe(400);
      expect(r.json.code).toBe("INVALID_FIELD");
      expect(r.json.issues.map((i: { path: string }) => i.path)).toContain(path);
      expect([
        await count("SELECT count(*) AS n FROM event_endpoints"),
        await count("SELECT count(*) AS n FROM audit_logs"),
      ]).toEqual(before);
    });

    it("malformed JSON is 400, a wrong content type 415", async () => {
      const bad = await call("POST", "/api/event-endpoints", {
        key: org.adminKey,
        raw: "{",
        contentType: "application/json",
      });
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe("MALFORMED_JSON");
      const form = await call("POST", "/api/event-endpoints", {
        key: org.adminKey,
        raw: "url=x",
        contentType: "application/x-www-form-urlencoded",
      });
      expect(form.status).toBe(415);
      expect(await count("SELECT count(*) AS n FROM event_endpoints WHERE org_id = ?", org.orgId)).toBe(0);
    });

    it("a PATCH to a private URL, or with nothing to change, is 400 and changes nothing", async () => {
      const ep = await endpointAt();
      const before = await call("GET", `/api/event-endpoints/${ep.id}`, { key: org.adminKey });
      for (const body of [{ url: "https://192.168.1.1/x" }, {}, { status: "paused" }]) {
        const r = await call("PATCH", `/api/event-endpoints/${ep.id}`, { key: org.adminKey, body });
        expect(r.status, r.text).toBe(400);
      }
      const after = await call("GET", `/api/event-endpoints/${ep.id}`, { key: org.adminKey });
      expect(after.json).toEqual(before.json);
    });
  });

  it("PATCH changes URL, description, types and status; re-enabling clears the reason", async () => {
    const ep = await endpointAt();
    const { url } = receiverUrl();
    const r = await call("PATCH", `/api/event-endpoints/${ep.id}`, {
      key: org.adminKey,
      body: {
        url,
        description: "new",
        event_types: ["message.status", "message.status"],
        status: "disabled",
      },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.endpoint).toMatchObject({
      url,
      description: "new",
      event_types: ["message.status"],
      status: "disabled",
      disabled_reason: expect.stringContaining("disabled by"),
    });
    const back = await call("PATCH", `/api/event-endpoints/${ep.id}`, {
      key: org.adminKey,
      body: { status: "enabled", event_types: null, description: null },
    });
    expect(back.json.endpoint).toMatchObject({
      status: "enabled",
      disabled_reason: null,
      event_types: null,
      description: null,
    });
  });

  it("DELETE removes the endpoint and its delivery log; a queued delivery is dropped unsent", async () => {
    const ep = await endpointAt();
    const { deliveryIds } = await emit();
    const del = await call("DELETE", `/api/event-endpoints/${ep.id}`, { key: org.adminKey });
    expect(del.status).toBe(200);
    expect(del.json).toEqual({ deleted: true, id: ep.id });
    expect((await call("GET", `/api/event-endpoints/${ep.id}`, { key: org.adminKey })).status).toBe(404);
    const res = await consume(job(deliveryIds[0] as string));
    expect(res.explicitAcks).toHaveLength(1);
    expect(await received(ep.bucket)).toEqual([]);
    expect(await count("SELECT count(*) AS n FROM event_deliveries WHERE endpoint_id = ?", ep.id)).toBe(0);
  });

  it("writes are recorded in the audit log with the key that made them", async () => {
    const ep = await endpointAt();
    await call("PATCH", `/api/event-endpoints/${ep.id}`, { key: org.adminKey, body: { description: "d" } });
    await call("POST", `/api/event-endpoints/${ep.id}/rotate-secret`, { key: org.adminKey });
    await call("DELETE", `/api/event-endpoints/${ep.id}`, { key: org.adminKey });
    const audit = await call("GET", "/api/audit-logs", { key: org.adminKey });
    const mine = audit.json.audit_logs.filter((a: { target_id: string }) => a.target_id === ep.id);
    expect(mine.map((a: { action: string }) => a.action).sort()).toEqual([
      "event_endpoint.created",
      "event_endpoint.deleted",
      "event_endpoint.secret_rotated",
      "event_endpoint.updated",
    ]);
    for (const a of mine) expect(a.actor).toMatch(/^api_key:/);
    expect(audit.text).not.toContain("whsec_");
  });
});

describe("roles and tenancy", () => {
  it("a member key reads but cannot create, change, rotate, test, redeliver or delete", async () => {
    const ep = await endpointAt();
    const { deliveryIds } = await emit();
    const refused: [string, string, unknown?][] = [
      ["POST", "/api/event-endpoints", { url: "https://app.example.com/h" }],
      ["PATCH", `/api/event-endpoints/${ep.id}`, { description: "x" }],
      ["DELETE", `/api/event-endpoints/${ep.id}`],
      ["POST", `/api/event-endpoints/${ep.id}/rotate-secret`],
      ["POST", `/api/event-endpoints/${ep.id}/test`],
      ["POST", `/api/event-endpoints/${ep.id}/deliveries/${deliveryIds[0]}/redeliver`],
    ];
    for (const [method, path, body] of refused) {
      const r = await call(method, path, { key: org.memberKey, body });
      expect(r.status, `${method} ${path}`).toBe(403);
    }
    expect(await count("SELECT count(*) AS n FROM event_endpoints WHERE org_id = ?", org.orgId)).toBe(1);
    for (const path of [
      `/api/event-endpoints/${ep.id}`,
      `/api/event-endpoints/${ep.id}/deliveries`,
      `/api/event-endpoints/${ep.id}/deliveries/${deliveryIds[0]}`,
      "/api/events",
    ]) {
      expect((await call("GET", path, { key: org.memberKey })).status, path).toBe(200);
    }
    expect((await call("GET", "/api/event-endpoints")).status).toBe(401);
  });

  it("another organization's endpoint, deliveries and events are 404 or absent", async () => {
    const ep = await endpointAt();
    const { deliveryIds, eventId } = await emit();
    const other = await newOrg("Other events org");
    const d = deliveryIds[0];
    const paths: [string, string, unknown?][] = [
      ["GET", `/api/event-endpoints/${ep.id}`],
      ["PATCH", `/api/event-endpoints/${ep.id}`, { description: "mine now" }],
      ["DELETE", `/api/event-endpoints/${ep.id}`],
      ["POST", `/api/event-endpoints/${ep.id}/rotate-secret`],
      ["POST", `/api/event-endpoints/${ep.id}/test`],
      ["GET", `/api/event-endpoints/${ep.id}/deliveries`],
      ["GET", `/api/event-endpoints/${ep.id}/deliveries/${d}`],
      ["POST", `/api/event-endpoints/${ep.id}/deliveries/${d}/redeliver`],
    ];
    for (const [method, path, body] of paths) {
      const r = await call(method, path, { key: other.adminKey, body });
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.json.code).toBe("NOT_FOUND");
    }
    const lists = await Promise.all([
      call("GET", "/api/event-endpoints", { key: other.adminKey }),
      call("GET", "/api/events", { key: other.adminKey }),
    ]);
    expect(lists[0].json.endpoints).toEqual([]);
    expect(lists[1].json.events).toEqual([]);
    // A's endpoint is unchanged, and B's events never reach it.
    const mine = await call("GET", `/api/event-endpoints/${ep.id}`, { key: org.adminKey });
    expect(mine.json.endpoint.description).toBeNull();
    const b = await services().events.emit(other.orgId, "lead.created", { lead_id: "B" });
    expect(b.deliveryIds).toEqual([]);
    expect(eventId).not.toBe(b.eventId);
    // A delivery job naming the wrong organization finds nothing.
    const res = await consume({ type: "event.deliver", orgId: other.orgId, deliveryId: d });
    expect(res.explicitAcks).toHaveLength(1);
    expect(await received(ep.bucket)).toEqual([]);
  });
});

// ---- delivery ------------------------------------------------------------------------------

describe("delivery and retries", () => {
  it("2xx succeeds at once: one attempt logged, nothing re-queued", async () => {
    const ep = await endpointAt();
    const { deliveryIds } = await emit();
    const id = deliveryIds[0] as string;
    jobs.sent.length = 0;
    const res = await consume(job(id));
    expect(res.explicitAcks).toHaveLength(1);
    expect(jobs.sent).toEqual([]);
    expect(dlq.sent).toEqual([]);
    const d = await getDelivery(ep.id, id);
    expect(d.delivery).toMatchObject({
      status: "succeeded",
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
      event_type: "lead.created",
      delivered_at: expect.any(String),
    });
    expect(d.attempts).toEqual([
      {
        id: expect.stringMatching(/^att_/),
        attempt: 1,
        status_code: 200,
        latency_ms: expect.any(Number),
        error: null,
        response_body: expect.stringContaining('"received":true'),
        created_at: expect.any(String),
      },
    ]);
    // The same job again (the queue delivers at least once) sends nothing more.
    await consume(job(id));
    expect(await received(ep.bucket)).toHaveLength(1);
  });

  it("500 twice, then 200: retried by the schedule with the same webhook-id, each attempt logged", async () => {
    const ep = await endpointAt("status=500&times=2");
    const { deliveryIds, eventId } = await emit();
    const id = deliveryIds[0] as string;
    jobs.sent.length = 0;

    const attempted = Date.now();
    const first = await consume(job(id));
    const handled = Date.now();
    expect(first.explicitAcks).toHaveLength(1);
    expect(jobs.sent).toEqual([{ body: job(id), delaySeconds: RETRY_SCHEDULE[1] }]);
    const waiting = await getDelivery(ep.id, id);
    expect(waiting.delivery).toMatchObject({
      status: "pending",
      attempts: 1,
      last_status_code: 500,
      last_error: "the endpoint answered HTTP 500",
    });
    // The next attempt is due RETRY_SCHEDULE[1] seconds after this one, however long it took.
    const next = Date.parse(waiting.delivery.next_attempt_at as string);
    expect(next).toBeGreaterThanOrEqual(attempted + RETRY_SCHEDULE[1] * 1000);
    expect(next).toBeLessThanOrEqual(handled + RETRY_SCHEDULE[1] * 1000);

    // The re-queued message arriving early waits for the scheduled time instead of sending: it
    // is acknowledged and a new message is due when the attempt is.
    jobs.sent.length = 0;
    const early = await consume(job(id));
    expect(early.explicitAcks).toHaveLength(1);
    expect(jobs.sent).toEqual([{ body: job(id), delaySeconds: expect.any(Number) }]);
    expect(jobs.sent[0]?.delaySeconds).toBeLessThanOrEqual(RETRY_SCHEDULE[1]);
    expect(await received(ep.bucket)).toHaveLength(1);

    jobs.sent.length = 0;
    await fastForward(id);
    await consume(job(id), 2);
    expect(jobs.sent).toEqual([{ body: job(id), delaySeconds: RETRY_SCHEDULE[2] }]);
    jobs.sent.length = 0;
    await fastForward(id);
    const last = await consume(job(id), 3);
    expect(last.explicitAcks).toHaveLength(1);
    expect(jobs.sent).toEqual([]);

    const d = await getDelivery(ep.id, id);
    expect(d.delivery).toMatchObject({
      status: "succeeded",
      attempts: 3,
      last_status_code: 200,
      last_error: null,
    });
    expect(d.attempts.map((a) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    expect(d.attempts[0]?.response_body).toContain("receiver answered 500");
    const reqs = await received(ep.bucket);
    expect(reqs.map((r) => r.headers["webhook-id"])).toEqual([eventId, eventId, eventId]);
    for (const r of reqs) expect(await verifies(ep.secret, r)).toBe(true);
  });

  it("an endpoint that always fails gets the whole schedule, then the delivery fails and is dead-lettered", async () => {
    const ep = await endpointAt("status=503");
    const { deliveryIds } = await emit();
    const id = deliveryIds[0] as string;
    const delays: (number | undefined)[] = [];
    for (let attempt = 1; attempt <= MAX_DELIVERY_ATTEMPTS; attempt++) {
      jobs.sent.length = 0;
      await fastForward(id);
      const res = await consume(job(id));
      expect(res.explicitAcks).toHaveLength(1);
      if (attempt < MAX_DELIVERY_ATTEMPTS) delays.push(jobs.sent[0]?.delaySeconds);
      else expect(jobs.sent).toEqual([]);
    }
    expect(delays).toEqual([5, 300, 1_800, 7_200, 18_000, 36_000, 36_000]);
    expect(Math.max(...(delays as number[]))).toBeLessThanOrEqual(43_200);
    // The dead letter is kept in D1 with its reason, readable through the API.
    const dead = await call("GET", `/api/dead-letters?kind=event.deliver&ref_id=${id}`, {
      key: org.adminKey,
    });
    expect(dead.json.dead_letters).toEqual([
      expect.objectContaining({
        kind: "event.deliver",
        ref_id: id,
        cause: "exhausted",
        attempts: 8,
        reason: expect.stringMatching(/^gave up after 8 attempts/),
      }),
    ]);
    const d = await getDelivery(ep.id, id);
    expect(d.delivery).toMatchObject({ status: "failed", attempts: 8, last_status_code: 503 });
    expect(d.attempts).toHaveLength(8);
    expect(await received(ep.bucket)).toHaveLength(8);
    // A failed delivery is not attempted again by a stray message.
    await consume(job(id));
    expect(await received(ep.bucket)).toHaveLength(8);
  });

  it("429 with Retry-After waits at least that long; a shorter Retry-After keeps the schedule", async () => {
    const slow = await endpointAt("status=429&times=1&retry_after=120");
    const quick = await endpointAt("status=429&times=1&retry_after=1");
    const { deliveryIds } = await emit();
    jobs.sent.length = 0;
    for (const id of deliveryIds) await consume(job(id));
    const byDelivery = new Map(jobs.sent.map((s) => [(s.body as { deliveryId: string }).deliveryId, s]));
    const [slowId, quickId] = await Promise.all(
      [slow.id, quick.id].map(async (epId) => {
        const r = await call("GET", `/api/event-endpoints/${epId}/deliveries`, { key: org.adminKey });
        return r.json.deliveries[0].id as string;
      }),
    );
    expect(byDelivery.get(slowId as string)?.delaySeconds).toBe(120);
    expect(byDelivery.get(quickId as string)?.delaySeconds).toBe(5);
  });

  it("a redirect is a failure and is not followed", async () => {
    const ep = await endpointAt("status=302");
    const { deliveryIds } = await emit();
    const id = deliveryIds[0] as string;
    jobs.sent.length = 0;
    await consume(job(id));
    expect(jobs.sent).toHaveLength(1);
    const d = await getDelivery(ep.id, id);
    expect(d.delivery).toMatchObject({ status: "pending", last_status_code: 302 });
    expect(await received(ep.bucket)).toHaveLength(1);
  });

  it("no answer within the timeout is retried", async () => {
    const ep = await endpointAt("hang=1");
    const { deliveryIds } = await emit();
    const id = deliveryIds[0] as string;
    jobs.sent.length = 0;
    await consume(job(id));
    expect(jobs.sent).toEqual([{ body: job(id), delaySeconds: 5 }]);
    const d = await getDelivery(ep.id, id);
    expect(d.delivery).toMatchObject({ status: "pending", last_status_code: null });
    expect(d.delivery.last_error).toMatch(/timeout/);
    expect(d.attempts[0]).toMatchObject({ status_code: null, error: expect.stringMatching(/timeout/) });
  });

  it("two copies of one job at once make one request", async () => {
    const ep = await endpointAt();
    const { deliveryIds } = await emit();
    const id = deliveryIds[0] as string;
    await Promise.all([consume(job(id)), consume(job(id))]);
    expect(await received(ep.bucket)).toHaveLength(1);
    expect((await getDelivery(ep.id, id)).delivery).toMatchObject({ status: "succeeded", attempts: 1 });
  });

  it("410 Gone disables the endpoint with the reason; the delivery fails without retry", async () => {
    const ep = await endpointAt("status=410");
    const first = await emit();
    const second = await emit();
    jobs.sent.length = 0;
    const res = await consume(job(first.deliveryIds[0] as string));
    expect(res.explicitAcks).toHaveLength(1);
    expect(jobs.sent).toEqual([]);
    expect(dlq.sent).toEqual([]);
    const got = await call("GET", `/api/event-endpoints/${ep.id}`, { key: org.adminKey });
    expect(got.json.endpoint).toMatchObject({
      status: "disabled",
      disabled_reason: expect.stringContaining("410 Gone"),
    });
    const d = await getDelivery(ep.id, first.deliveryIds[0] as string);
    expect(d.delivery).toMatchObject({ status: "failed", last_status_code: 410 });
    // The other queued delivery is not sent to a disabled endpoint; new events skip it.
    await consume(job(second.deliveryIds[0] as string));
    expect(await received(ep.bucket)).toHaveLength(1);
    expect((await getDelivery(ep.id, second.deliveryIds[0] as string)).delivery).toMatchObject({
      status: "failed",
      last_error: "the endpoint is disabled",
    });
    expect((await emit()).deliveryIds).toEqual([]);
  });
});

describe("redelivery", () => {
  it("a failed delivery is delivered again once the endpoint is enabled again", async () => {
    const ep = await endpointAt("status=410&times=1");
    const { deliveryIds, eventId } = await emit();
    const id = deliveryIds[0] as string;
    await consume(job(id));
    const path = `/api/event-endpoints/${ep.id}/deliveries/${id}/redeliver`;

    const refused = await call("POST", path, { key: org.adminKey, env: { JOBS: jobs.queue } });
    expect(refused.status).toBe(409);

    const enabled = await call("PATCH", `/api/event-endpoints/${ep.id}`, {
      key: org.adminKey,
      body: { status: "enabled" },
    });
    expect(enabled.json.endpoint).toMatchObject({ status: "enabled", disabled_reason: null });

    jobs.sent.length = 0;
    const r = await call("POST", path, { key: org.adminKey, env: { JOBS: jobs.queue } });
    expect(r.status, r.text).toBe(202);
    expect(r.json.delivery).toMatchObject({ id, status: "pending", next_attempt_at: null });
    expect(jobs.sent).toEqual([{ body: job(id), delaySeconds: undefined }]);
    await consume(jobs.sent[0]?.body);

    const d = await getDelivery(ep.id, id);
    expect(d.delivery).toMatchObject({ status: "succeeded", attempts: 2, last_status_code: 200 });
    expect(d.attempts.map((a) => a.status_code)).toEqual([410, 200]);
    const reqs = await received(ep.bucket);
    expect(reqs.map((q) => q.headers["webhook-id"])).toEqual([eventId, eventId]);
    expect(await verifies(ep.secret, reqs[1] as ReceivedRequest)).toBe(true);
  });

  it("a succeeded delivery can be delivered again; a missing one is 404", async () => {
    const ep = await endpointAt();
    const { deliveryIds } = await emit();
    const id = deliveryIds[0] as string;
    await consume(job(id));
    jobs.sent.length = 0;
    const r = await call("POST", `/api/event-endpoints/${ep.id}/deliveries/${id}/redeliver`, {
      key: org.adminKey,
      env: { JOBS: jobs.queue },
    });
    expect(r.status).toBe(202);
    await consume(jobs.sent[0]?.body);
    expect(await received(ep.bucket)).toHaveLength(2);
    const missing = await call("POST", `/api/event-endpoints/${ep.id}/deliveries/dlv_nope/redeliver`, {
      key: org.adminKey,
    });
    expect(missing.status).toBe(404);
  });
});

describe("event types, test events and the events list", () => {
  it("an endpoint receives only the types it subscribed to", async () => {
    const leads = await endpointAt("", { event_types: ["lead.created"] });
    const all = await endpointAt();
    const status = await emit("message.status", { message_id: "m1", status: "delivered" });
    expect(status.deliveryIds).toHaveLength(1);
    const lead = await emit("lead.created", { lead_id: "L7" });
    expect(lead.deliveryIds).toHaveLength(2);
    jobs.sent.length = 0;
    for (const id of [...status.deliveryIds, ...lead.deliveryIds]) await consume(job(id));
    expect((await received(leads.bucket)).map((r) => JSON.parse(r.body).type)).toEqual(["lead.created"]);
    expect((await received(all.bucket)).map((r) => JSON.parse(r.body).type)).toEqual([
      "message.status",
      "lead.created",
    ]);
  });

  it("a disabled endpoint receives nothing", async () => {
    const ep = await endpointAt();
    await call("PATCH", `/api/event-endpoints/${ep.id}`, { key: org.adminKey, body: { status: "disabled" } });
    expect((await emit()).deliveryIds).toEqual([]);
  });

  it("POST /test sends event.test to that endpoint only, whatever its filter", async () => {
    const ep = await endpointAt("", { event_types: ["sync.completed"] });
    const other = await endpointAt();
    const r = await call("POST", `/api/event-endpoints/${ep.id}/test`, {
      key: org.adminKey,
      env: { JOBS: jobs.queue },
    });
    expect(r.status, r.text).toBe(202);
    expect(r.json.event).toMatchObject({ type: "event.test", data: { endpoint_id: ep.id } });
    expect(r.json.delivery).toMatchObject({
      endpoint_id: ep.id,
      status: "pending",
      event_type: "event.test",
    });
    expect(jobs.sent).toEqual([{ body: job(r.json.delivery.id), delaySeconds: undefined }]);
    await consume(jobs.sent[0]?.body);
    const [req] = await received(ep.bucket);
    expect(req?.headers["webhook-id"]).toBe(r.json.event.id);
    expect(await verifies(ep.secret, req as ReceivedRequest)).toBe(true);
    expect(await received(other.bucket)).toEqual([]);
  });

  it("a keyed emit is idempotent: the same event and deliveries, queued again only while unattempted", async () => {
    const ep = await endpointAt();
    const a = await services().events.emit(
      org.orgId,
      "webhook.received",
      { id: "whe_1" },
      { key: "whe_1:received" },
    );
    const b = await services().events.emit(
      org.orgId,
      "webhook.received",
      { id: "whe_1" },
      { key: "whe_1:received" },
    );
    expect(b).toEqual(a);
    expect(await count("SELECT count(*) AS n FROM events WHERE id = ?", a.eventId)).toBe(1);
    await consume(job(a.deliveryIds[0] as string));
    jobs.sent.length = 0;
    await services().events.emit(org.orgId, "webhook.received", { id: "whe_1" }, { key: "whe_1:received" });
    expect(jobs.sent).toEqual([]);
    expect(await received(ep.bucket)).toHaveLength(1);
  });

  it("GET /api/events lists newest first, filters by type, and pages", async () => {
    const ids: string[] = [];
    for (const type of ["lead.created", "sync.completed", "lead.created"] as const)
      ids.push((await emit(type, { n: ids.length })).eventId);
    const all = await call("GET", "/api/events", { key: org.memberKey });
    expect(all.status).toBe(200);
    expect(all.json.events.map((e: { id: string }) => e.id)).toEqual([...ids].reverse());
    expect(all.json.events[0]).toEqual({
      id: ids[2],
      type: "lead.created",
      data: { n: 2 },
      created_at: expect.any(String),
    });
    const leads = await call("GET", "/api/events?type=lead.created&limit=1", { key: org.adminKey });
    expect(leads.json.events.map((e: { id: string }) => e.id)).toEqual([ids[2]]);
    const next = await call("GET", `/api/events?type=lead.created&limit=1&cursor=${leads.json.next_cursor}`, {
      key: org.adminKey,
    });
    expect(next.json.events.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
    expect(next.json.next_cursor).toBeNull();
    for (const q of ["type=lead.deleted", "cursor=garbage", "limit=0"]) {
      const bad = await call("GET", `/api/events?${q}`, { key: org.adminKey });
      expect(bad.status, q).toBe(400);
    }
  });

  it("GET deliveries filters by status, newest first, with event type and attempts", async () => {
    const ep = await endpointAt("status=500&times=1");
    const one = await emit("lead.created");
    const two = await emit("sync.completed");
    await consume(job(one.deliveryIds[0] as string));
    const all = await call("GET", `/api/event-endpoints/${ep.id}/deliveries`, { key: org.adminKey });
    expect(
      all.json.deliveries.map((d: { id: string; event_type: string; attempts: number }) => [
        d.id,
        d.event_type,
        d.attempts,
      ]),
    ).toEqual([
      [two.deliveryIds[0], "sync.completed", 0],
      [one.deliveryIds[0], "lead.created", 1],
    ]);
    const pending = await call("GET", `/api/event-endpoints/${ep.id}/deliveries?status=pending&limit=1`, {
      key: org.adminKey,
    });
    expect(pending.json.deliveries).toHaveLength(1);
    expect(pending.json.next_cursor).toEqual(expect.any(String));
    const bad = await call("GET", `/api/event-endpoints/${ep.id}/deliveries?status=lost`, {
      key: org.adminKey,
    });
    expect(bad.status).toBe(400);
  });
});

// ---- secrets -------------------------------------------------------------------------------

describe("secret rotation", () => {
  it("the new secret is shown once; during the grace both secrets sign", async () => {
    const ep = await endpointAt();
    const r = await call("POST", `/api/event-endpoints/${ep.id}/rotate-secret`, { key: org.adminKey });
    expect(r.status, r.text).toBe(200);
    const fresh = r.json.secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(ep.secret);
    const grace = Date.parse(r.json.previous_secret_expires_at) - Date.now();
    expect(grace).toBeGreaterThan(23.9 * 3_600_000);
    expect(grace).toBeLessThanOrEqual(24 * 3_600_000);
    const got = await call("GET", `/api/event-endpoints/${ep.id}`, { key: org.adminKey });
    expect(got.text).not.toContain(fresh);

    const { deliveryIds } = await emit();
    await consume(job(deliveryIds[0] as string));
    const [req] = await received(ep.bucket);
    if (!req) throw new Error("nothing received");
    expect(req.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(await verifies(fresh, req)).toBe(true);
    expect(await verifies(ep.secret, req)).toBe(true);
  });

  it("after the grace only the new secret signs", async () => {
    const ep = await endpointAt();
    const rotated = await services().events.rotateSecret(
      org.orgId,
      ep.id,
      "test",
      Date.now() - 25 * 3_600_000,
    );
    const { deliveryIds } = await emit();
    await consume(job(deliveryIds[0] as string));
    const [req] = await received(ep.bucket);
    if (!req) throw new Error("nothing received");
    expect(req.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expect(await verifies(rotated.secret, req)).toBe(true);
    expect(await verifies(ep.secret, req)).toBe(false);
  });
});

describe("organization key rotation re-encrypts endpoint secrets", () => {
  it("counts and re-encrypts both tables in shared batches, retires the old key, and signing still verifies", async () => {
    await newIntegration(org, { provider: "sendgrid", name: "SG", api_key: "SG.k", from_email: "a@b.co" });
    const eps = [await endpointAt(), await endpointAt()];
    const started = await call("POST", `/admin/organizations/${org.orgId}/rotate-key`, {
      key: ADMIN_TOKEN,
      env: { JOBS: jobs.queue },
    });
    expect(started.status).toBe(202);
    expect(started.json.rotation).toMatchObject({ rows_total: 3, remaining: 3, status: "running" });
    const rotationId = started.json.rotation.id as string;

    const vault = new Vault(createVaultStore(createDb(env.DB)), await loadKeyRing(env.ENCRYPTION_KEYS));
    // Two rows a batch: the integration and one endpoint, then the other endpoint, then done.
    const first = await vault.reencryptBatch(org.orgId, rotationId, 2);
    expect(first).toMatchObject({ status: "running", rowsDone: 2, remaining: 1 });
    expect(
      await count(
        "SELECT count(*) AS n FROM event_endpoints WHERE org_id = ? AND key_version = 2",
        org.orgId,
      ),
    ).toBe(1);
    // Mid-rotation both keys work: an endpoint under each version delivers.
    const mid = await emit();
    for (const id of mid.deliveryIds) await consume(job(id));
    for (const ep of eps) {
      const [req] = await received(ep.bucket);
      expect(await verifies(ep.secret, req as ReceivedRequest)).toBe(true);
    }
    const second = await vault.reencryptBatch(org.orgId, rotationId, 2);
    expect(second).toMatchObject({ status: "running", rowsDone: 3, remaining: 0 });
    expect(
      await count("SELECT count(*) AS n FROM org_keys WHERE org_id = ? AND version = 1", org.orgId),
    ).toBe(1);
    const done = await vault.reencryptBatch(org.orgId, rotationId, 2);
    expect(done).toMatchObject({ status: "completed", rowsDone: 3, remaining: 0 });
    expect(
      await count("SELECT count(*) AS n FROM org_keys WHERE org_id = ? AND version = 1", org.orgId),
    ).toBe(0);
    expect(
      await count(
        "SELECT count(*) AS n FROM event_endpoints WHERE org_id = ? AND key_version <> 2",
        org.orgId,
      ),
    ).toBe(0);

    // With the old key retired, the endpoints still sign with the secrets shown at creation.
    const after = await emit();
    for (const id of after.deliveryIds) await consume(job(id));
    for (const ep of eps) {
      const reqs = await received(ep.bucket);
      expect(reqs).toHaveLength(2);
      expect(await verifies(ep.secret, reqs[1] as ReceivedRequest)).toBe(true);
    }
  });

  it("a rotation with only endpoints is finished by the queue consumer", async () => {
    const ep = await endpointAt();
    const started = await call("POST", `/admin/organizations/${org.orgId}/rotate-key`, {
      key: ADMIN_TOKEN,
      env: { JOBS: jobs.queue },
    });
    expect(started.json.rotation).toMatchObject({ rows_total: 1, remaining: 1 });
    let message = jobs.sent[0]?.body;
    for (let step = 0; message && step < 5; step++) {
      jobs.sent.length = 0;
      await consume(message);
      message = jobs.sent[0]?.body;
    }
    const status = await call("GET", `/admin/organizations/${org.orgId}/key-rotation`, { key: ADMIN_TOKEN });
    expect(status.json.rotation).toMatchObject({ status: "completed", rows_done: 1, remaining: 0 });
    const { deliveryIds } = await emit();
    await consume(job(deliveryIds[0] as string));
    const [req] = await received(ep.bucket);
    expect(await verifies(ep.secret, req as ReceivedRequest)).toBe(true);
  });
});

// ---- the real queue ------------------------------------------------------------------------

describe("end to end on the real queue", () => {
  it("a test event reaches the receiver, signed, and the delivery succeeds", async () => {
    const ep = await endpointAt();
    const r = await call("POST", `/api/event-endpoints/${ep.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(202);
    const until = Date.now() + 15_000;
    let delivery = r.json.delivery;
    while (delivery.status !== "succeeded") {
      if (Date.now() > until) throw new Error(`delivery still ${delivery.status}`);
      await new Promise((res) => setTimeout(res, 100));
      delivery = (await getDelivery(ep.id, delivery.id)).delivery;
    }
    const [req] = await received(ep.bucket);
    expect(await verifies(ep.secret, req as ReceivedRequest)).toBe(true);
  });
});
